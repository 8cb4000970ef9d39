using Merlinite.Engine.Evaluation;
using Merlinite.Recipes.Running;
using Merlinite.Recipes.Running.Charts;
using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes.Tests;

/// <summary>A recipe's eval.tasks (read into `merlinite eval`'s settings, checked where they are written) and the
/// report's evaluation figures: correlations and charts.
/// Figures are compared to 12 places: a handful of double operations on values near 1 round by about 10^-15.
/// </summary>
public sealed class EvalRecipeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-evalrecipe-").FullName;

    public EvalRecipeTests()
    {
        RecipeFixtures.Write(_dir, "base.gguf", "instruct.gguf", "reference.gguf", "judge.gguf");
        File.WriteAllText(Path.Combine(_dir, "mmlu.jsonl"), "{\"question\":\"q\",\"choices\":[\"a\",\"b\"],\"answer\":0}\n");
        File.WriteAllText(Path.Combine(_dir, "mt.jsonl"), "{\"question_id\":1,\"turns\":[\"hi\"]}\n");
    }

    public void Dispose() => Directory.Delete(_dir, true);

    // Line 19 is "eval:", the first task starts on line 21.
    private const string WithTasks = BadRecipeTests.Good + """

        eval:
          tasks:
            - name: mmlu
              kind: mmlu
              data: mmlu.jsonl
              shots: 0
              limit: 100
            - name: chat
              kind: mt_bench
              data: mt.jsonl
              template: merlinite
              judge: judge.gguf
        """;

    private LoadedRecipe Load(string yaml)
    {
        string file = Path.Combine(_dir, "recipe.yaml");
        File.WriteAllText(file, yaml);
        return RecipeLoader.Load(file);
    }

    private RecipeException Fails(string yaml) => Assert.Throws<RecipeException>(() => Load(yaml));

    [Fact]
    public void Eval_tasks_are_read_into_the_settings_of_merlinite_eval()
    {
        var tasks = Load(WithTasks).Recipe.Eval.Tasks;
        Assert.Equal(["mmlu", "chat"], tasks.Select(t => t.Name));
        Assert.Equal(EvalKind.Mmlu, tasks[0].Settings.Kind);
        Assert.Equal(100, tasks[0].Settings.Limit);
        Assert.Equal(Path.Combine(_dir, "mmlu.jsonl"), tasks[0].Data);
        Assert.Equal("acc", tasks[0].Settings.HeadlineMetric);
        Assert.Equal(Path.Combine(_dir, "judge.gguf"), tasks[1].Judge!.Path);
    }

    [Fact]
    public void Tasks_may_be_written_in_flow_style()
    {
        var tasks = Load(BadRecipeTests.Good + "\neval:\n  tasks:\n    - {name: m, kind: mmlu, data: mmlu.jsonl, shots: 0}\n").Recipe.Eval.Tasks;
        Assert.Equal("m", tasks.Single().Name);
        Assert.Equal(EvalKind.Mmlu, tasks.Single().Settings.Kind);
    }

    [Fact]
    public void A_task_names_its_few_shot_sampler_first_n_by_default()
    {
        var tasks = Load(BadRecipeTests.Good + "\neval:\n  tasks:\n    - {name: a, kind: arc, data: mmlu.jsonl}\n" +
            "    - {name: h, kind: hellaswag, data: mmlu.jsonl, fewshot_sampler: lm_eval}\n").Recipe.Eval.Tasks;
        Assert.Equal(ShotSampler.FirstN, tasks[0].Settings.ShotSampler);
        Assert.Equal(ShotSampler.LmEval, tasks[1].Settings.ShotSampler);
    }

    [Fact]
    public void Task_problems_point_at_their_line_and_column()
    {
        var e = Fails(WithTasks.Replace("\n      judge: judge.gguf", "").Replace("limit: 100", "limit: 0").Replace("name: chat", "name: mmlu")
            .Replace("shots: 0", "shots: 0\n      metric: strict"));
        Assert.Contains(e.Problems, p => p.Message.Contains("'eval.tasks[1].judge': an mt_bench task needs a judge model", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Message.Contains("'eval.tasks[0].limit': must be at least 1", StringComparison.Ordinal) && p.Line == 27);
        Assert.Contains(e.Problems, p => p.Message.Contains("'eval.tasks[1].name': 'mmlu' names another task too", StringComparison.Ordinal) && p.Line == 28);
        Assert.Contains(e.Problems, p => p.Message.Contains("'strict' is not a metric of mmlu", StringComparison.Ordinal) && p.Line == 26);
    }

    [Fact]
    public void Unknown_task_keys_and_kinds_are_refused_with_what_is_allowed()
    {
        var e = Fails(WithTasks.Replace("kind: mmlu", "kind: mmlu-pro").Replace("limit: 100", "limmit: 100"));
        Assert.Contains(e.Problems, p => p.Line == 23 && p.Message.Contains("'mmlu-pro' is not one of mmlu, arc", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Line == 26 && p.Message.Contains("unknown key 'eval.tasks[0].limmit'", StringComparison.Ordinal));
        var missing = Fails(WithTasks.Replace("data: mmlu.jsonl", "data: nowhere.jsonl"));
        Assert.Contains(missing.Problems, p => p.Line == 24 && p.Message.Contains("file not found", StringComparison.Ordinal));
    }

    private static RoundStats Round(int r, double reward, double heldOut, double mc, double chat) =>
        new(r, 10, 80, reward, reward - 1, 1, 1, null, heldOut)
        {
            Evals = [new EvalScore("mc", "acc", mc, 0.05, false), new EvalScore("chat", "score", chat, 0.4, true)],
        };

    [Fact]
    public void The_report_correlates_the_batch_reward_with_each_eval_across_rounds()
    {
        var rounds = new[] { Round(0, 0.1, 0.5, 0.40, 5), Round(1, 0.3, 0.6, 0.55, 5), Round(2, 0.2, 0.7, 0.50, 5) };
        var c = RunReport.Correlations(rounds).ToDictionary(x => x.Eval);
        Assert.Equal(["held-out accuracy", "mc", "chat"], c.Keys);
        Assert.Equal(3, c["mc"].Rounds);
        Assert.Equal(EvalStats.Pearson([0.1, 0.3, 0.2], [0.40, 0.55, 0.50]), c["mc"].Pearson, 12);
        Assert.Equal(1.0, c["mc"].Spearman, 12);        // same order: 0.1 < 0.2 < 0.3 and 0.40 < 0.50 < 0.55
        Assert.Equal(0.5, c["held-out accuracy"].Spearman, 12);
        Assert.True(double.IsNaN(c["chat"].Pearson), "a constant eval has no correlation");
    }

    [Theory]
    [InlineData(0.3135, 1.238, "0.25 0.50 0.75 1.00 1.25")]
    [InlineData(-2.153, 0.9301, "-3 -2 -1 0 1")]
    [InlineData(0, 100, "0 25 50 75 100")]
    [InlineData(5, 5, "4.50 4.75 5.00 5.25 5.50")]
    public void Axes_tick_at_round_numbers_that_cover_the_data(double lo, double hi, string ticks)
    {
        var axis = Axis.Nice([lo, hi]);
        Assert.Equal(ticks, string.Join(" ", axis.Ticks().Select(axis.Label)));
    }

    [Fact]
    public void Charts_are_well_formed_svg_with_titled_axes_and_every_series()
    {
        var rounds = new[] { Round(0, 0.1, 0.5, 0.40, 4), Round(1, 0.3, 0.6, 0.55, 6) };
        var rewards = new[] { new RoundRewards(0, [-1, 0.5, 0.1], [0.5]), new RoundRewards(1, [0.2, 0.4], [0.4]) };
        foreach (var svg in new[] { RunCharts.Rewards(rounds, 1), RunCharts.RewardDistribution(rewards, 1), RunCharts.RewardVsEval(rounds) })
        {
            var doc = System.Xml.Linq.XDocument.Parse(svg);
            Assert.Equal("svg", doc.Root!.Name.LocalName);
        }
        string reward = RunCharts.Rewards(rounds, 1);
        foreach (var label in new[] { "reward (β · log-ratio)", "accuracy / score (%)", "held-out accuracy", "mc acc", "chat score (x10)", "1 (peak)" })
            Assert.Contains(label, reward);
        // Every text element lies inside the picture (the last round's label used to be cut off).
        foreach (var x in System.Xml.Linq.XDocument.Parse(reward).Descendants().Where(e => e.Name.LocalName == "text"))
            Assert.InRange(double.Parse(x.Attribute("x")!.Value, System.Globalization.CultureInfo.InvariantCulture), 0, 720);
    }
}
