using System.Globalization;

namespace Merlinite.Recipes.Running.Charts;

/// <summary>
/// The charts of a run's report, as SVG written by the project (a plotting library would put native Skia libraries
/// next to the single binary): the reward per round with the accuracies and eval scores beside it, the distribution of
/// every sample's reward against the winners', and the reward against each eval across rounds.
/// </summary>
public static class RunCharts
{
    private const int Width = 720, Height = 400;

    /// <summary>A series on the percent axis: held-out accuracy, samples right, each eval (ratings 1-10 shown × 10).</summary>
    private static List<(string Label, double?[] Values)> PercentSeries(IReadOnlyList<RoundStats> rounds)
    {
        var series = new List<(string, double?[])>();
        if (rounds.Any(r => r.HeldOutAccuracy is not null)) series.Add(("held-out accuracy", rounds.Select(r => r.HeldOutAccuracy * 100).ToArray()));
        if (rounds.Any(r => r.SampleAccuracy is not null)) series.Add(("samples right", rounds.Select(r => r.SampleAccuracy * 100).ToArray()));
        foreach (var task in rounds.SelectMany(r => r.Evals).Select(e => (e.Task, e.Metric, e.IsRating)).Distinct())
            series.Add(($"{task.Task} {task.Metric}{(task.IsRating ? " (x10)" : "")}",
                rounds.Select(r => r.Evals.FirstOrDefault(e => e.Task == task.Task) is { } e && double.IsFinite(e.Value) ? e.Value * (e.IsRating ? 10 : 100) : (double?)null).ToArray()));
        return series;
    }

    public static string Rewards(IReadOnlyList<RoundStats> rounds, int peak)
    {
        var svg = new Svg(Width, Height, "Reward and evaluation per round");
        var percent = PercentSeries(rounds);
        var plot = new Plot(78, 40, percent.Count > 0 ? Width - 78 : Width - 30, Height - 90);
        var x = RoundAxis(rounds);
        var y = Axis.Nice(rounds.SelectMany(r => new[] { r.BatchReward, r.MeanReward }));
        svg.YAxis(y, plot, right: false, "reward (β · log-ratio)", grid: true);
        var right = Axis.Nice([], floor: 0, ceiling: 100);
        if (percent.Count > 0) svg.YAxis(right, plot, right: true, "accuracy / score (%)", grid: false);
        RoundTicks(svg, plot, x, rounds, peak);

        var legend = new List<(string, string, bool)>();
        void Series(string label, IEnumerable<double?> values, Axis axis, string color, bool dashed)
        {
            var points = rounds.Zip(values).Where(p => p.Second is double v && double.IsFinite(v)).Select(p => (plot.X(x, p.First.Round), plot.Y(axis, p.Second!.Value))).ToList();
            svg.Polyline(points, color, 2.5, dashed ? "6 3" : null);
            foreach (var (px, py) in points) svg.Circle(px, py, 3.5, color);
            legend.Add((label, color, dashed));
        }
        Series("batch reward (best of N)", rounds.Select(r => (double?)r.BatchReward), y, Svg.Palette[0], false);
        Series("mean reward", rounds.Select(r => (double?)r.MeanReward), y, Svg.Palette[1], false);
        for (int i = 0; i < percent.Count; i++) Series(percent[i].Label, percent[i].Values, right, Svg.Palette[(i + 2) % Svg.Palette.Length], true);
        svg.Legend(legend, plot.Left, Height - 34);
        return svg.ToString();
    }

    /// <summary>Every sample's reward per round (grey, spread sideways so they do not overlap) and the winners' (blue),
    /// with each group's mean as a bar.</summary>
    public static string RewardDistribution(IReadOnlyList<RoundRewards> rewards, int peak)
    {
        var svg = new Svg(Width, Height, "Rewards of all samples and of the winners");
        var plot = new Plot(78, 40, Width - 30, Height - 90);
        var x = new Axis(-0.5, Math.Max(0.5, rewards.Count - 0.5), 1);
        var y = Axis.Nice(rewards.SelectMany(r => r.All));
        svg.YAxis(y, plot, right: false, "reward (β · log-ratio)", grid: true);
        double slot = (plot.Right - plot.Left) / Math.Max(1, rewards.Count);
        for (int i = 0; i < rewards.Count; i++)
        {
            var r = rewards[i];
            double centre = plot.X(x, i);
            svg.Text(centre, plot.Bottom + 18, $"round {r.Round}{(r.Round == peak ? " (peak)" : "")}", anchor: "middle");
            Strip(r.All, centre - slot * 0.18, "#9a9a9a", 0.45);
            Strip(r.Winners, centre + slot * 0.18, Svg.Palette[0], 0.8);

            void Strip(IReadOnlyList<double> values, double cx, string color, double opacity)
            {
                for (int k = 0; k < values.Count; k++)
                {
                    // A fixed sideways offset per point (golden-ratio sequence): the same file gives the same picture.
                    double jitter = ((k * 0.6180339887) % 1 - 0.5) * slot * 0.28;
                    svg.Circle(cx + jitter, plot.Y(y, values[k]), 2.2, color, opacity);
                }
                if (values.Count > 0)
                {
                    double mean = values.Average();
                    svg.Line(cx - slot * 0.16, plot.Y(y, mean), cx + slot * 0.16, plot.Y(y, mean), "#111", 2);
                }
            }
        }
        svg.Text((plot.Left + plot.Right) / 2, plot.Bottom + 40, "round", anchor: "middle");
        svg.Legend([("all samples", "#9a9a9a", false), ("winners (best of N)", Svg.Palette[0], false), ("mean", "#111", false)], plot.Left, Height - 26);
        return svg.ToString();
    }

    /// <summary>Batch reward (x) against each eval (y, %) with one point per round, labelled by round.</summary>
    public static string RewardVsEval(IReadOnlyList<RoundStats> rounds)
    {
        var svg = new Svg(Width, Height, "Batch reward vs evaluation, one point per round");
        var series = PercentSeries(rounds);
        var plot = new Plot(78, 40, Width - 30, Height - 90);
        var x = Axis.Nice(rounds.Select(r => r.BatchReward));
        var y = Axis.Nice(series.SelectMany(s => s.Values).OfType<double>(), floor: null);
        svg.YAxis(y, plot, right: false, "accuracy / score (%)", grid: true);
        svg.Line(plot.Left, plot.Bottom, plot.Right, plot.Bottom, "#555");
        foreach (double t in x.Ticks())
        {
            svg.Line(plot.X(x, t), plot.Bottom, plot.X(x, t), plot.Bottom + 4, "#555");
            svg.Text(plot.X(x, t), plot.Bottom + 18, x.Label(t), anchor: "middle");
        }
        svg.Text((plot.Left + plot.Right) / 2, plot.Bottom + 40, "batch reward (mean best-of-N reward)", anchor: "middle");
        var legend = new List<(string, string, bool)>();
        for (int i = 0; i < series.Count; i++)
        {
            string color = Svg.Palette[(i + 2) % Svg.Palette.Length];
            var points = rounds.Zip(series[i].Values).Where(p => p.Second is double).Select(p => (p.First.Round, X: plot.X(x, p.First.BatchReward), Y: plot.Y(y, p.Second!.Value))).ToList();
            svg.Polyline(points.Select(p => (p.X, p.Y)), color, 1, "2 3");
            foreach (var p in points)
            {
                svg.Circle(p.X, p.Y, 4.5, color, tooltip: $"round {p.Round}");
                svg.Text(p.X + 7, p.Y - 6, $"r{p.Round}", size: 10, fill: color);
            }
            legend.Add((series[i].Label, color, false));
        }
        if (series.Count == 0) svg.Text((plot.Left + plot.Right) / 2, (plot.Top + plot.Bottom) / 2, "no evaluation in this recipe", anchor: "middle");
        svg.Legend(legend, plot.Left, Height - 26);
        return svg.ToString();
    }

    /// <summary>The rated tasks (MT-Bench) that have categories: each gets a by-category chart and table.</summary>
    public static IReadOnlyList<string> CategoryTasks(IReadOnlyList<RoundStats> rounds) => rounds
        .SelectMany(r => r.Evals).Where(e => e.IsRating && e.Groups.Count > 0).Select(e => e.Task).Distinct().ToList();

    /// <summary>A rated task's score per category across rounds, one line per category (the card's per-domain chart of
    /// MT-Bench, round by round).</summary>
    public static string Categories(IReadOnlyList<RoundStats> rounds, string task)
    {
        var svg = new Svg(Width, Height, $"{task}: score by category per round");
        var plot = new Plot(78, 40, Width - 30, Height - 90);
        var x = RoundAxis(rounds);
        var y = Axis.Nice([], floor: 0, ceiling: 10);
        svg.YAxis(y, plot, right: false, "score (1-10)", grid: true);
        RoundTicks(svg, plot, x, rounds, peak: -1);
        var categories = rounds.SelectMany(r => r.Evals.Where(e => e.Task == task).SelectMany(e => e.Groups))
            .Select(g => g.Name).Distinct().Order(StringComparer.Ordinal).ToList();
        var legend = new List<(string, string, bool)>();
        for (int i = 0; i < categories.Count; i++)
        {
            string color = Svg.Palette[i % Svg.Palette.Length];
            var points = rounds.Select(r => (r.Round, Value: r.Evals.FirstOrDefault(e => e.Task == task)?.Groups
                    .FirstOrDefault(g => g.Name == categories[i])?.Value ?? double.NaN))
                .Where(p => double.IsFinite(p.Value)).Select(p => (plot.X(x, p.Round), plot.Y(y, p.Value))).ToList();
            svg.Polyline(points, color, 2.5, i >= Svg.Palette.Length ? "6 3" : null);
            foreach (var (px, py) in points) svg.Circle(px, py, 3.5, color);
            legend.Add((categories[i], color, i >= Svg.Palette.Length));
        }
        svg.Legend(legend, plot.Left, Height - 34);
        return svg.ToString();
    }

    private static Axis RoundAxis(IReadOnlyList<RoundStats> rounds) =>
        rounds.Count <= 1 ? new Axis(-0.5, 0.5, 1) : new Axis(rounds[0].Round - 0.25, rounds[^1].Round + 0.25, 1);

    private static void RoundTicks(Svg svg, Plot plot, Axis x, IReadOnlyList<RoundStats> rounds, int peak)
    {
        svg.Line(plot.Left, plot.Bottom, plot.Right, plot.Bottom, "#555");
        foreach (var r in rounds)
        {
            double px = plot.X(x, r.Round);
            svg.Line(px, plot.Bottom, px, plot.Bottom + 4, "#555");
            svg.Text(px, plot.Bottom + 18, r.Round.ToString(CultureInfo.InvariantCulture) + (r.Round == peak ? " (peak)" : ""), anchor: "middle");
        }
        svg.Text((plot.Left + plot.Right) / 2, plot.Bottom + 38, "round", anchor: "middle");
    }
}
