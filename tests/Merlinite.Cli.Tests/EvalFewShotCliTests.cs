using System.Text.Json;

namespace Merlinite.Cli.Tests;

/// <summary>Few-shot runs of `merlinite eval` on the real rows in ../shared/data/lmeval (issue 28).</summary>
public class EvalFewShotCliTests
{
    internal static readonly string? Rows = SharedData.Folder("lmeval");

    [SharedDataFact("lmeval")]
    public void Mmlu_3_shot_uses_all_three_dev_rows_of_each_subject_and_lm_evals_sampler_runs()
    {
        // Used to fail: dev row 1 and 2 were dropped for sharing test rows 1 and 2's line-number ids.
        using var dir = new TempDir();
        string model = dir.File("m.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "11", "--out", model).ExitCode);
        var mmlu = MerliniteBinary.Run("eval", "mmlu", "-m", model, "-d", Path.Combine(Rows!, "mmlu-test.jsonl"),
            "--shots-file", Path.Combine(Rows!, "mmlu-dev.jsonl"), "-k", "3", "-o", dir.File("mmlu.jsonl"), "-t", "1");
        Assert.True(mmlu.ExitCode == 0, mmlu.Stderr);
        Assert.Equal(6, Items(dir.File("mmlu.summary.json")));

        var hellaswag = MerliniteBinary.Run("eval", "hellaswag", "-m", model,
            "-d", Path.Combine(Rows!, "hellaswag-val.jsonl"),
            "--shots-file", Path.Combine(Rows!, "hellaswag-train.jsonl"), "-k", "2", "--fewshot-sampler", "lm_eval", "-o", dir.File("hs.jsonl"), "-t", "1");
        Assert.True(hellaswag.ExitCode == 0, hellaswag.Stderr);
        Assert.Equal(6, Items(dir.File("hs.summary.json")));
    }

    [Fact]
    public void An_unknown_sampler_is_refused_by_name()
    {
        var run = MerliniteBinary.Run("eval", "arc", "-m", "m.gguf", "-d", "d.jsonl", "-o", "o.jsonl",
            "--fewshot-sampler", "balanced");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("balanced", run.Stderr);
    }

    private static int Items(string summary) =>
        JsonDocument.Parse(File.ReadAllText(summary)).RootElement.GetProperty("items").GetInt32();
}
