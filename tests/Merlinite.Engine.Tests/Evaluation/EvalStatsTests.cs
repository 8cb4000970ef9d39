using Merlinite.Engine.Evaluation;

namespace Merlinite.Engine.Tests.Evaluation;

/// <summary>Figures are compared to 12 places: a handful of double operations on values near 1 round by about
/// 10^-15.</summary>
public sealed class EvalStatsTests
{
    [Fact]
    public void Standard_error_of_a_share_is_sqrt_p_one_minus_p_over_n_minus_one()
    {
        // p = 3/4, n = 4: sqrt(0.75 * 0.25 / 3) = 0.25.
        Assert.Equal(0.25, EvalStats.StdErr([1, 0, 1, 1]), 12);
        Assert.True(double.IsNaN(EvalStats.StdErr([1])));
    }

    [Fact]
    public void Pearson_and_spearman_match_hand_computed_values()
    {
        // x = 1,2,3,4; y = 1,3,2,5: mean x 2.5, mean y 2.75; sxy = 5.5, sxx = 5, syy = 8.75 -> r = 5.5 / sqrt(43.75).
        Assert.Equal(5.5 / Math.Sqrt(43.75), EvalStats.Pearson([1, 2, 3, 4], [1, 3, 2, 5]), 12);
        // Ranks of y are 1,3,2,4: rho = 1 - 6 * (0+1+1+0) / (4 * 15) = 0.8.
        Assert.Equal(0.8, EvalStats.Spearman([1, 2, 3, 4], [1, 3, 2, 5]), 12);
        // Ties share their average rank: 10,20,20,30 -> 1, 2.5, 2.5, 4.
        Assert.Equal([1, 2.5, 2.5, 4], EvalStats.Ranks([10, 20, 20, 30]));
        Assert.Equal(1.0, EvalStats.Spearman([0.1, 0.5, 0.9], [3, 40, 500]), 12);
        Assert.True(double.IsNaN(EvalStats.Pearson([1, 2, 3], [5, 5, 5])), "a constant side has no correlation");
        Assert.True(double.IsNaN(EvalStats.Pearson([1], [2])));
    }

    [Fact]
    public void A_summary_reports_micro_and_macro_averages_by_subject_and_leaves_failed_items_out()
    {
        EvalResults.Row R(string id, string subject, double acc) => new(id, subject, null, new Dictionary<string, double> { ["acc"] = acc, ["acc_norm"] = acc }, [], 0);
        var rows = new[]
        {
            R("1", "algebra", 1), R("2", "algebra", 1), R("3", "algebra", 0), R("4", "algebra", 1),
            R("5", "history", 0), R("6", "history", 1),
            new EvalResults.Row("7", "history", "option 0: too long", new Dictionary<string, double>(), [], 0),
        };
        var s = EvalSummary.From("mmlu", EvalKind.Mmlu, "acc", rows);
        Assert.Equal(4 / 6.0, s.HeadlineValue, 12);                                   // micro: 4 right of 6 scored
        Assert.Equal((0.75 + 0.5) / 2, s.Metrics.Single(m => m.Name == "acc_macro").Value, 12); // macro: mean of subjects
        Assert.Equal(1, s.Errors);
        Assert.Equal(7, s.Items);
        Assert.Equal(["algebra", "history"], s.Groups.Select(g => g.Name));
    }

    [Fact]
    public void A_judged_summary_averages_rated_turns_and_counts_the_unrated()
    {
        var rows = new[]
        {
            new EvalResults.Row("81", "writing", null, new Dictionary<string, double>(), [8, 6], 0),
            new EvalResults.Row("82", "math", null, new Dictionary<string, double>(), [2, null], 1),
        };
        var s = EvalSummary.From("mt", EvalKind.MtBench, "score", rows, "local judge");
        Assert.Equal((8 + 6 + 2) / 3.0, s.HeadlineValue, 12);
        Assert.Equal(5.0, s.Metrics.Single(m => m.Name == "turn_1").Value, 12);
        Assert.Equal(6.0, s.Metrics.Single(m => m.Name == "turn_2").Value, 12);
        Assert.Equal(1, s.FailedJudgments);
        Assert.Contains(s.Table(), l => l.Contains("1 judgment without a rating", StringComparison.Ordinal));
    }
}
