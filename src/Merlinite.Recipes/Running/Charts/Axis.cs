using System.Globalization;

namespace Merlinite.Recipes.Running.Charts;

/// <summary>A linear axis over "nice" ticks (1, 2, 2.5 or 5 times a power of ten) that cover the data, so the labels
/// read 0.25, 0.50, 0.75 rather than 0.3135, 0.627.</summary>
public sealed record Axis(double Min, double Max, double Step)
{
    public static Axis Nice(IEnumerable<double> values, int ticks = 5, double? floor = null, double? ceiling = null)
    {
        var finite = values.Where(double.IsFinite).ToList();
        double lo = floor ?? (finite.Count == 0 ? 0 : finite.Min()), hi = ceiling ?? (finite.Count == 0 ? 1 : finite.Max());
        if (floor is null && finite.Count > 0) lo = Math.Min(lo, finite.Min());
        if (ceiling is null && finite.Count > 0) hi = Math.Max(hi, finite.Max());
        if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
        double raw = (hi - lo) / Math.Max(1, ticks - 1);
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        return new Axis(Math.Floor(lo / step + 1e-9) * step, Math.Ceiling(hi / step - 1e-9) * step, step);
    }

    public IEnumerable<double> Ticks()
    {
        for (int i = 0; Min + i * Step <= Max + Step * 1e-6; i++) yield return Min + i * Step;
    }

    /// <summary>A tick label with as many decimals as the step needs (0.25 → 2, 5 → 0).</summary>
    public string Label(double v)
    {
        int decimals = Math.Clamp((int)Math.Ceiling(-Math.Log10(Step) - 1e-9) + (Step / Math.Pow(10, Math.Floor(Math.Log10(Step))) == 2.5 ? 1 : 0), 0, 6);
        return Math.Round(v, decimals).ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    /// <summary>Where <paramref name="v"/> falls between pixel <paramref name="from"/> (Min) and <paramref name="to"/> (Max).</summary>
    public double Map(double v, double from, double to) => from + (to - from) * (v - Min) / (Max - Min);
}
