using Merlinite.Engine.Evaluation;

namespace Merlinite.Engine.Tests.Evaluation;

/// <summary>`eval --runs K`: the runs' mean, lowest and highest, overall and per category, as the Merlinite card
/// reports MT-Bench (5-run average 7.85, high 7.96, low 7.80). Compared to 12 places: a mean of three doubles.</summary>
public class EvalRunsTests
{
    private static EvalSummary Run(double score, double writing, double math) => new("mt", EvalKind.MtBench, "score", 2, 0, 0,
        [new MetricScore("score", score, double.NaN, 4), new MetricScore("turn_1", score + 0.5, double.NaN, 2)],
        [new GroupScore("math", 2, math), new GroupScore("writing", 2, writing)], null);

    [Fact]
    public void The_runs_give_mean_min_and_max_overall_per_metric_and_per_category()
    {
        var runs = new EvalRuns([Run(7.80, 8, 6), Run(7.96, 9, 6.5), Run(7.79, 7, 7)]);
        var (mean, min, max) = runs.Metric("score");
        Assert.Equal((7.80 + 7.96 + 7.79) / 3, mean, 12);
        Assert.Equal(7.79, min, 12);
        Assert.Equal(7.96, max, 12);
        Assert.Equal(8.0, runs.Group("writing").Mean, 12);
        Assert.Equal((6.0, 7.0), (runs.Group("math").Min, runs.Group("math").Max));
        Assert.Equal(8.35, runs.Metric("turn_1").Mean, 12);
        Assert.Contains(runs.Table(), l => l.Contains("7.85 (7.79 – 7.96)", StringComparison.Ordinal));
        Assert.Contains("\"each_run\"", runs.ToJson());
    }

    [Theory]
    [InlineData("results/mt.jsonl", 1, "results/mt.jsonl")]
    [InlineData("results/mt.jsonl", 3, "results/mt.run-3.jsonl")]
    [InlineData("results/mt", 2, "results/mt.run-2.jsonl")]
    public void Run_k_writes_beside_the_output(string output, int run, string expected) =>
        Assert.Equal(expected, EvalRuns.RunOutput(output, run));
}
