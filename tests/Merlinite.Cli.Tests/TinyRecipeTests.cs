using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Snapshooter.Xunit;

namespace Merlinite.Cli.Tests;

/// <summary>
/// The main job: recipes/tiny.yaml in a world built by `merlinite world tiny`. The figures come from the models; the
/// assertions check that the recipe works (batch reward up from round 0 to 2, held-out accuracy up by the end), and the
/// snapshot pins the figures, the manifest's shape and the first winners so a behaviour change shows as a diff.
/// </summary>
[Collection("tiny world")]
public sealed class TinyRecipeTests(TinyWorld world)
{
    private readonly TempDir _dir = world.Dir;

    [Fact]
    public void The_tiny_recipe_raises_the_batch_reward_and_the_held_out_accuracy_and_its_outputs_are_pinned()
    {
        var run = MerliniteBinary.Run("run", world.Recipe("tiny.yaml"), "-t", "2");
        Assert.True(run.ExitCode == 0, run.Stderr);
        // Not on a terminal (CI, logs), progress is a line per phase, not a line per 10 % of it.
        string plain = world.Build.Stdout + world.Build.Stderr + run.Stdout + run.Stderr;
        int lines = plain.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.True(lines < 40, $"{lines} lines of output:\n{plain}");
        Assert.DoesNotContain("\u001b[", plain, StringComparison.Ordinal);

        string outDir = _dir.File("runs/tiny/run");
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json"))).RootElement;
        var rounds = report.GetProperty("rounds").EnumerateArray().ToList();
        double Get(int r, string key) => rounds[r].GetProperty(key).GetDouble();
        Assert.True(Get(2, "batch_reward") > Get(0, "batch_reward"), "batch reward of round 2 should beat round 0");
        Assert.True(Get(rounds.Count - 1, "held_out_accuracy") > Get(0, "held_out_accuracy"), "the final policy should beat the starting one on held-out prompts");

        // Every round's policy is evaluated on the world's benchmarks, and the report correlates them with the reward.
        Assert.All(rounds, r => Assert.Equal(["digits-mc", "digits-gen", "digits-chat"], r.GetProperty("evals").EnumerateObject().Select(p => p.Name)));
        var correlations = report.GetProperty("reward_correlation").EnumerateArray().ToList();
        Assert.Equal(["held-out accuracy", "digits-mc", "digits-gen", "digits-chat"], correlations.Select(c => c.GetProperty("eval").GetString()));
        Assert.All(correlations, c => Assert.Equal(rounds.Count, c.GetProperty("rounds").GetInt32()));
        foreach (var file in new[] { "report.html", "reward.svg", "rewards.svg", "reward-vs-eval.svg", "round-0/eval/digits-mc.summary.json", "round-3/eval/digits-chat.answers.jsonl" })
            Assert.True(File.Exists(Path.Combine(outDir, file)), file);
        Assert.Contains("digits-chat (score)", File.ReadAllText(Path.Combine(outDir, "report.md")));
        // MT-Bench-style tasks by category, as the card charts MT-Bench's domains: in report.json, report.md and a chart.
        Assert.All(rounds, r => Assert.Equal(["decrement", "first", "increment", "last"],
            r.GetProperty("evals").GetProperty("digits-chat").GetProperty("groups").EnumerateObject().Select(p => p.Name)));
        Assert.Contains("digits-chat by category", File.ReadAllText(Path.Combine(outDir, "report.md")));
        Assert.Contains("<polyline", File.ReadAllText(Path.Combine(outDir, "digits-chat-categories.svg")));

        // output.pack: the peak round's policy as a chat binary that says where it came from.
        Assert.Equal("tiny-chat", report.GetProperty("chat_binary").GetString());
        var info = Process.Start(
            new ProcessStartInfo(Path.Combine(outDir, "tiny-chat"), ["info"]) { RedirectStandardOutput = true })!;
        string inside = info.StandardOutput.ReadToEnd();
        info.WaitForExit();
        Assert.Equal(0, info.ExitCode);
        int peak = report.GetProperty("peak_round").GetInt32();
        Assert.Contains($"recipe tiny, run {outDir}: round {peak}'s policy", inside);
        Assert.Contains($"adapter    adapter.gguf", inside);

        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "manifest.json"))).RootElement;
        string F(double v) => Math.Round(v, 2).ToString("F2", CultureInfo.InvariantCulture);
        string N(JsonElement v) => v.ValueKind == JsonValueKind.Number ? F(v.GetDouble()) : "null";
        Snapshot.Match(new
        {
            PeakRound = report.GetProperty("peak_round").GetInt32(),
            ResultAdapter = report.GetProperty("result_adapter").GetString(),
            Rounds = rounds.Select(r => string.Join(" ", r.EnumerateObject().Where(p => p.Name != "evals").Select(p =>
                $"{p.Name}={(p.Value.ValueKind != JsonValueKind.Number ? p.Value.ToString() : p.Value.TryGetInt64(out long n) ? n.ToString(CultureInfo.InvariantCulture) : F(p.Value.GetDouble()))}"))).ToArray(),
            Evals = rounds.Select(r => string.Join(" ", r.GetProperty("evals").EnumerateObject().Select(p =>
                $"{p.Name}={p.Value.GetProperty("metric").GetString()}:{(p.Value.GetProperty("value").ValueKind == JsonValueKind.Number ? F(p.Value.GetProperty("value").GetDouble()) : "null")}"))).ToArray(),
            Correlations = correlations.Select(c => $"{c.GetProperty("eval").GetString()}: pearson {N(c.GetProperty("pearson"))} spearman {N(c.GetProperty("spearman"))}").ToArray(),
            ManifestKeys = manifest.EnumerateObject().Select(p => p.Name).ToArray(),
            ModelRoles = manifest.GetProperty("models").EnumerateObject().Select(p => p.Name).ToArray(),
            Phases = manifest.GetProperty("phases").EnumerateObject().Select(p => $"{p.Name}: {p.Value.GetProperty("status").GetString()}").ToArray(),
            FirstWinners = File.ReadLines(Path.Combine(outDir, "round-0", "winners.jsonl")).Take(4).ToArray(),
        });
    }
}

/// <summary>The tiny world, built once for the tests that run recipes in it, in the repository's layout (recipes/ beside
/// runs/tiny/world, which the recipes name as ../runs/tiny/world).</summary>
public sealed class TinyWorld : IDisposable
{
    public TempDir Dir { get; } = new();
    public RunResult Build { get; }

    public TinyWorld()
    {
        Directory.CreateDirectory(Dir.File("recipes"));
        Build = MerliniteBinary.Run("world", "tiny", "--out", Dir.File("runs/tiny/world"), "-t", "2");
        Assert.True(Build.ExitCode == 0, Build.Stderr);
    }

    /// <summary>A copy of a recipe of the repository, next to the world.</summary>
    public string Recipe(string name)
    {
        string path = Dir.File($"recipes/{name}");
        File.Copy(Path.Combine(MerliniteBinary.RepoRoot, "recipes", name), path, overwrite: true);
        return path;
    }

    public void Dispose() => Dir.Dispose();
}

[CollectionDefinition("tiny world")]
public sealed class TinyWorldCollection : ICollectionFixture<TinyWorld>;
