using System.Globalization;
using System.Text.Json.Nodes;

namespace Merlinite.Engine.Evaluation;

/// <summary>
/// One benchmark run several times with different seeds (`eval --runs K`), as the Merlinite card reports MT-Bench:
/// the mean of the runs' scores with the lowest and the highest, and the same per metric (turn) and per category.
/// </summary>
public sealed record EvalRuns(IReadOnlyList<EvalSummary> Runs)
{
    private EvalSummary First => Runs[0];

    /// <summary>(mean, min, max) of one metric over the runs that have it.</summary>
    public (double Mean, double Min, double Max) Metric(string name) => Spread(Runs
        .Select(r => r.Metrics.FirstOrDefault(m => m.Name == name)?.Value ?? double.NaN));

    /// <summary>(mean, min, max) of one category's (or subject's) score over the runs.</summary>
    public (double Mean, double Min, double Max) Group(string name) => Spread(Runs
        .Select(r => r.Groups.FirstOrDefault(g => g.Name == name)?.Value ?? double.NaN));

    private static (double, double, double) Spread(IEnumerable<double> values)
    {
        var v = values.Where(double.IsFinite).ToList();
        return v.Count == 0 ? (double.NaN, double.NaN, double.NaN) : (v.Average(), v.Min(), v.Max());
    }

    public IEnumerable<string> Table()
    {
        yield return $"{First.Task} ({First.Kind.Name()}) over {Runs.Count} runs: mean (min – max)";
        foreach (var m in First.Metrics.Select(m => m.Name))
            yield return $"  {m + (m == First.Headline ? " *" : ""),-14} {Show(Metric(m))}";
        if (First.Groups.Count > 0)
        {
            yield return $"  by {(First.Kind == EvalKind.MtBench ? "category" : "subject")} ({First.Headline}):";
            foreach (var g in First.Groups) yield return $"    {g.Name,-40} {Show(Group(g.Name))}";
        }
        string each = string.Join(", ", Runs.Select(r => First.Show(r.HeadlineValue)));
        yield return $"  each run's {First.Headline}: {each}";
    }

    private string Show((double Mean, double Min, double Max) s) =>
        $"{First.Show(s.Mean),8} ({First.Show(s.Min)} – {First.Show(s.Max)})";

    public string ToJson()
    {
        static JsonNode? N(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;
        static JsonObject Of((double Mean, double Min, double Max) s) =>
            new() { ["mean"] = N(s.Mean), ["min"] = N(s.Min), ["max"] = N(s.Max) };
        var metrics = new JsonObject();
        foreach (var m in First.Metrics) metrics[m.Name] = Of(Metric(m.Name));
        var groups = new JsonObject();
        foreach (var g in First.Groups) groups[g.Name] = Of(Group(g.Name));
        var root = new JsonObject
        {
            ["task"] = First.Task, ["kind"] = First.Kind.Name(), ["headline"] = First.Headline, ["runs"] = Runs.Count,
            ["value"] = Of(Metric(First.Headline)),
            ["each_run"] = new JsonArray(Runs.Select(r => N(r.HeadlineValue)).ToArray()),
            ["metrics"] = metrics, ["groups"] = groups,
        };
        return root.ToJsonString(Data.JsonStyle.Indented) + "\n";
    }

    /// <summary>Where run <paramref name="run"/> (1-based) of an eval writing <paramref name="output"/> goes: the first
    /// run is the output itself (so `--runs 1` is the plain command), the others beside it.</summary>
    public static string RunOutput(string output, int run) =>
        run == 1 ? output : EvalFiles.Beside(output, $".run-{run.ToString(CultureInfo.InvariantCulture)}.jsonl");

    /// <summary>The file the runs' summary goes to.</summary>
    public static string SummaryPath(string output) => EvalFiles.Beside(output, ".runs.json");
}
