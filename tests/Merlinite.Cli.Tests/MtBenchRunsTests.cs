using System.Text.Json;

namespace Merlinite.Cli.Tests;

/// <summary>`eval mt_bench --runs K` on the tiny world's chat questions and judge: each run answers with its own seed
/// into its own output, and OUT.runs.json holds the runs' mean, min and max.</summary>
[Collection("tiny world")]
public sealed class MtBenchRunsTests(TinyWorld world)
{
    [Fact]
    public void Each_run_samples_with_its_own_seed_and_the_runs_summary_has_mean_min_and_max()
    {
        string w = world.Dir.File("runs/tiny/world"), output = world.Dir.File("mt-runs/mt.jsonl");
        var r = MerliniteBinary.Run("eval", "mt_bench", "-m", Path.Combine(w, "base.gguf"), "-d", Path.Combine(w, "eval-chat.jsonl"),
            "--template", "merlinite", "--system", "", "--judge", Path.Combine(w, "judge.gguf"),
            "--judge-prompt", Path.Combine(w, "judge-prompt.txt"), "--judge-template", "merlinite", "--judge-max-tokens", "12",
            "--max-tokens", "8", "--limit", "4", "--temp", "1", "--runs", "2", "-o", output, "-t", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("over 2 runs: mean (min – max)", r.Stdout);
        string second = Path.Combine(Path.GetDirectoryName(output)!, "mt.run-2.answers.jsonl");
        // Temperature 1 and another seed: another set of answers (8 tokens × 8 turns: equal only by a vanishing chance).
        Assert.NotEqual(File.ReadAllText(Path.ChangeExtension(output, null) + ".answers.jsonl"), File.ReadAllText(second));

        var runs = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(output, null) + ".runs.json")).RootElement;
        var each = runs.GetProperty("each_run").EnumerateArray().Select(e => e.GetDouble()).ToList();
        Assert.Equal(2, each.Count);
        var value = runs.GetProperty("value");
        Assert.Equal(each.Average(), value.GetProperty("mean").GetDouble(), 6); // the file rounds to 6 places
        Assert.Equal(each.Min(), value.GetProperty("min").GetDouble(), 6);
        Assert.Equal(each.Max(), value.GetProperty("max").GetDouble(), 6);
        Assert.True(runs.GetProperty("groups").EnumerateObject().Any(), "no per-category figures");
    }
}
