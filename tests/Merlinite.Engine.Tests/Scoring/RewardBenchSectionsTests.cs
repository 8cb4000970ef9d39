using Merlinite.Engine.Scoring;

namespace Merlinite.Engine.Tests.Scoring;

/// <summary>RewardBench's section and overall scores as its leaderboard computes them from subset accuracies.
/// Compared to 9 places: a few sums and one division of values near 100.</summary>
public class RewardBenchSectionsTests
{
    private static double Of(IReadOnlyList<(string Name, double Percent)> s, string name) => s.Single(x => x.Name == name).Percent;

    [Fact]
    public void Subsets_weigh_by_their_example_counts_and_math_prm_as_much_as_all_code()
    {
        var s = RewardBenchSections.Compute(new Dictionary<string, double>
        {
            ["alpacaeval-easy"] = 1.0, ["mt-bench-easy"] = 0.0, // 100 and 28 examples
            ["math-prm"] = 1.0, ["hep-cpp"] = 0, ["hep-go"] = 0, ["hep-java"] = 0, ["hep-js"] = 0, ["hep-python"] = 0,
            ["hep-rust"] = 0,
        });
        Assert.Equal(100.0 * 100 / 128, Of(s, "Chat"), 9);
        Assert.Equal(50.0, Of(s, "Reasoning"), 9);
        Assert.Equal((100.0 * 100 / 128 + 50) / 2, Of(s, "Score"), 9); // sections absent from the data do not count
        Assert.DoesNotContain(s, x => x.Name == "Safety");
    }

    [Fact]
    public void The_overall_score_weighs_prior_sets_one_half_as_the_leaderboard_does()
    {
        // A leaderboard row (ArmoRM-Llama3-8B-v0.1): 96.9, 76.8, 92.2, 97.3 and prior sets 74.3 → Score 89.0.
        var s = RewardBenchSections.Compute(new Dictionary<string, double>
        {
            ["alpacaeval-easy"] = 0.969, ["mt-bench-hard"] = 0.768, ["donotanswer"] = 0.922, ["math-prm"] = 0.973,
            ["shp"] = 0.743,
        });
        Assert.Equal(89.0, Math.Round(Of(s, "Score"), 1));
        Assert.Equal(74.3, Of(s, RewardBenchSections.PriorSets), 9);
    }

    [Fact]
    public void Subsets_of_another_benchmark_give_no_sections() =>
        Assert.Empty(RewardBenchSections.Compute(new Dictionary<string, double> { ["digits"] = 0.9, ["all"] = 0.5 }));
}
