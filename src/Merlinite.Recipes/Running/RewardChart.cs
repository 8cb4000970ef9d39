using System.Globalization;
using System.Text;

namespace Merlinite.Recipes.Running;

/// <summary>A small hand-written SVG line chart of batch and mean reward per round (no native graphics libraries).</summary>
public static class RewardChart
{
    private const int Width = 560, Height = 320, Left = 60, Right = 20, Top = 30, Bottom = 40;

    public static string Svg(IReadOnlyList<RoundStats> rounds, int peak)
    {
        var inv = CultureInfo.InvariantCulture;
        var values = rounds.SelectMany(r => new[] { r.BatchReward, r.MeanReward }).Where(double.IsFinite).ToList();
        double lo = values.Count == 0 ? 0 : values.Min(), hi = values.Count == 0 ? 1 : values.Max();
        if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
        double pad = (hi - lo) * 0.1;
        lo -= pad; hi += pad;
        int n = Math.Max(1, rounds.Count - 1);
        double X(int i) => Left + (Width - Left - Right) * (rounds.Count == 1 ? 0.5 : (double)i / n);
        double Y(double v) => Top + (Height - Top - Bottom) * (1 - (v - lo) / (hi - lo));

        var sb = new StringBuilder();
        sb.AppendLine(inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"12\">");
        sb.AppendLine(inv, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>");
        sb.AppendLine(inv, $"<text x=\"{Width / 2}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">Reward per round</text>");
        for (int t = 0; t <= 4; t++)
        {
            double v = lo + (hi - lo) * t / 4;
            sb.AppendLine(inv, $"<line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Y(v):F1}\" y2=\"{Y(v):F1}\" stroke=\"#ddd\"/>");
            sb.AppendLine(inv, $"<text x=\"{Left - 6}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{v:G4}</text>");
        }
        for (int i = 0; i < rounds.Count; i++)
            sb.AppendLine(inv, $"<text x=\"{X(i):F1}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{rounds[i].Round}{(rounds[i].Round == peak ? " (peak)" : "")}</text>");
        sb.AppendLine(inv, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 6}\" text-anchor=\"middle\">round</text>");
        Series(sb, rounds.Select((r, i) => (X(i), r.BatchReward)), Y, "#1f77b4", "batch reward (best of N)", 0);
        Series(sb, rounds.Select((r, i) => (X(i), r.MeanReward)), Y, "#ff7f0e", "mean reward", 1);
        sb.AppendLine("</svg>");
        return sb.ToString();
    }

    private static void Series(StringBuilder sb, IEnumerable<(double X, double V)> points, Func<double, double> y, string color, string label, int row)
    {
        var inv = CultureInfo.InvariantCulture;
        var finite = points.Where(p => double.IsFinite(p.V)).ToList();
        sb.AppendLine(inv, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', finite.Select(p => string.Create(inv, $"{p.X:F1},{y(p.V):F1}")))}\"/>");
        foreach (var p in finite) sb.AppendLine(inv, $"<circle cx=\"{p.X:F1}\" cy=\"{y(p.V):F1}\" r=\"3\" fill=\"{color}\"/>");
        sb.AppendLine(inv, $"<text x=\"{Left + 10}\" y=\"{Top + 14 + row * 16}\" fill=\"{color}\">{label}</text>");
    }
}
