using System.Globalization;
using System.Text.Json;

namespace Merlinite.Cli.Tests;

/// <summary>
/// The tiny world's judge measured against the exact-match checker on held-out answers (issue 32): the world writes the
/// figure and says it. The figure itself is the judge's, at chance today (~45-55 %); the bar is 85 %.
/// </summary>
[Collection("tiny world")]
public sealed class TinyJudgeTests(TinyWorld world)
{
    [Fact]
    public void Building_the_world_measures_the_judge_against_the_checker_and_says_the_figure()
    {
        var figures = JsonDocument.Parse(File.ReadAllText(world.Dir.File("runs/tiny/world/judge-agreement.json")))
            .RootElement;
        Assert.Equal(400, figures.GetProperty("items").GetInt32());
        double agreement = figures.GetProperty("agreement").GetDouble();
        double right = figures.GetProperty("right_rated_right").GetDouble();
        double wrong = figures.GetProperty("wrong_rated_wrong").GetDouble();
        Assert.InRange(agreement, 0, 1);
        // Agreement is the right answers' share rated right and the wrong answers' share rated wrong, weighted by how
        // many of each the 400 held-out items have: between the two.
        Assert.InRange(agreement, Math.Min(right, wrong) - 1e-4, Math.Max(right, wrong) + 1e-4); // 4-decimal rounding
        string said = (agreement * 100).ToString("F1", CultureInfo.InvariantCulture);
        Assert.Contains($"the judge agrees with the checker on {said} % of 400 held-out answers", world.Build.Stderr);
    }
}
