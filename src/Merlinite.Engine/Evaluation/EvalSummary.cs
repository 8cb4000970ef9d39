using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Merlinite.Engine.Evaluation;

/// <summary>A metric over the items that could be scored, with its standard error (NaN where none applies).</summary>
public sealed record MetricScore(string Name, double Value, double StdErr, int N);

/// <summary>The headline metric within one subject (MMLU) or category (MT-Bench).</summary>
public sealed record GroupScore(string Name, int N, double Value);

/// <summary>What an eval found, computed from its per-item file (<see cref="EvalResults"/>).</summary>
public sealed record EvalSummary(string Task, EvalKind Kind, string Headline, int Items, int Errors, int FailedJudgments,
    IReadOnlyList<MetricScore> Metrics, IReadOnlyList<GroupScore> Groups, string? Note)
{
    public double HeadlineValue => Metrics.FirstOrDefault(m => m.Name == Headline)?.Value ?? double.NaN;

    /// <summary>Accuracies are shares (shown as percentages); MT-Bench's score is a mean rating from 1 to 10.</summary>
    public bool IsRating => Kind == EvalKind.MtBench;

    public static EvalSummary From(string task, EvalKind kind, string headline, IReadOnlyList<EvalResults.Row> rows, string? note = null)
    {
        var ok = rows.Where(r => r.Error is null).ToList();
        var metrics = new List<MetricScore>();
        var groups = new List<GroupScore>();
        if (kind == EvalKind.MtBench)
        {
            var all = ok.SelectMany(r => r.Ratings).OfType<double>().ToList();
            metrics.Add(Score("score", all));
            int turns = ok.Count == 0 ? 0 : ok.Max(r => r.Ratings.Count);
            for (int t = 0; t < turns; t++)
                metrics.Add(Score($"turn_{t + 1}", ok.Where(r => r.Ratings.Count > t).Select(r => r.Ratings[t]).OfType<double>().ToList()));
            groups.AddRange(ok.GroupBy(r => r.Group ?? "general").OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g =>
                {
                    var v = g.SelectMany(r => r.Ratings).OfType<double>().ToList();
                    return new GroupScore(g.Key, v.Count, EvalStats.Mean(v));
                }));
        }
        else
        {
            foreach (var m in kind.Metrics()) metrics.Add(Score(m, ok.Select(r => r.Scores[m]).ToList()));
            var bySubject = ok.Where(r => r.Group is not null).GroupBy(r => r.Group!).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            if (bySubject.Count > 1)
            {
                groups.AddRange(bySubject.Select(g => new GroupScore(g.Key, g.Count(), g.Average(r => r.Scores[headline]))));
                // The mean over subjects, each weighted alike (the "macro" average; the plain mean above is the "micro").
                metrics.Add(new MetricScore(headline + "_macro", groups.Average(g => g.Value), double.NaN, groups.Count));
            }
        }
        return new EvalSummary(task, kind, headline, rows.Count, rows.Count - ok.Count, ok.Sum(r => r.Failures), metrics, groups, note);
    }

    private static MetricScore Score(string name, List<double> values) => new(name, EvalStats.Mean(values), EvalStats.StdErr(values), values.Count);

    public string ToJson()
    {
        static JsonNode? N(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 6)) : null;
        var metrics = new JsonObject();
        foreach (var m in Metrics) metrics[m.Name] = new JsonObject { ["value"] = N(m.Value), ["stderr"] = N(m.StdErr), ["n"] = m.N };
        var groups = new JsonObject();
        foreach (var g in Groups) groups[g.Name] = new JsonObject { ["n"] = g.N, [Headline] = N(g.Value) };
        var root = new JsonObject
        {
            ["task"] = Task, ["kind"] = Kind.Name(), ["headline"] = Headline, ["value"] = N(HeadlineValue),
            ["items"] = Items, ["errors"] = Errors, ["failed_judgments"] = FailedJudgments,
            ["metrics"] = metrics, ["groups"] = groups, ["note"] = Note,
        };
        return root.ToJsonString(Data.JsonStyle.Indented) + "\n";
    }

    /// <summary>The figure as people quote it: a percentage with 2 decimals, or a rating with 2.</summary>
    public string Show(double value) => !double.IsFinite(value) ? "–"
        : IsRating ? value.ToString("F2", CultureInfo.InvariantCulture) : (100 * value).ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>The summary as a small text table (metric, value, ± stderr, n), then the groups, then the notes.</summary>
    public IEnumerable<string> Table()
    {
        string unit = IsRating ? "rating 1-10" : "%";
        yield return $"{Task} ({Kind.Name()}): {Plural.Of(Items, "item")}{(Errors > 0 ? $", {Errors} could not be scored" : "")}{(FailedJudgments > 0 ? $", {Plural.Of(FailedJudgments, "judgment")} without a rating" : "")}";
        yield return $"  {"metric",-14} {"value (" + unit + ")",14} {"± stderr",10} {"n",7}";
        foreach (var m in Metrics)
            yield return $"  {m.Name + (m.Name == Headline ? " *" : ""),-14} {Show(m.Value),14} {Show(m.StdErr),10} {m.N,7}";
        if (Groups.Count > 0)
        {
            yield return $"  by {(Kind == EvalKind.MtBench ? "category" : "subject")} ({Headline}):";
            foreach (var g in Groups) yield return $"    {g.Name,-40} {Show(g.Value),8} {g.N,7}";
        }
        if (Note is not null) yield return "  note: " + Note;
    }
}
