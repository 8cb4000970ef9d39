using Merlinite.Gguf;
using Merlinite.Trainer.Cli;
using Merlinite.Trainer.Training;

namespace Merlinite.Trainer.Tests;

/// <summary>--init-adapter starts training from an existing adapter file.</summary>
[Collection("trainer")]
public class InitAdapterTests(TinyModels models)
{
    [Fact]
    public void Starting_from_an_adapter_with_learning_rate_zero_writes_the_same_function_back()
    {
        var examples = TrainingData.Random(count: 2, vocab: 256, promptLength: 4, responseLength: 4, seed: 9);
        string data = TrainingData.Write(models.NewFile("init.jsonl"), examples);
        string first = models.NewFile("first.gguf"), second = models.NewFile("second.gguf");
        string[] common = ["--base", models.Mistral, "--data", data, "--targets", "attn_q,ffn_up", "--rank", "4", "--max-steps", "3", "--threads", "2"];

        TrainingRun.Run(OptionsParser.Parse(TrainerArgs.Complete([.. common, "--out", first, "--alpha", "8", "--lr", "1e-2"])), new ProgressWriter(TextWriter.Null));
        // Another alpha: B must be rescaled so that alpha/r · B·A stays the same.
        TrainingRun.Run(OptionsParser.Parse(TrainerArgs.Complete([.. common, "--out", second, "--alpha", "4", "--lr", "0", "--init-adapter", first])), new ProgressWriter(TextWriter.Null));

        using var a = GgufFile.Open(first);
        using var b = GgufFile.Open(second);
        Assert.Equal(4f, b.Metadata.GetFloat32("adapter.lora.alpha"));
        Assert.Equal(a.Tensors.Select(t => t.Name), b.Tensors.Select(t => t.Name));
        foreach (var t in a.Tensors)
        {
            float factor = t.Name.EndsWith(".lora_b", StringComparison.Ordinal) ? 2f : 1f;
            var expected = a.ReadTensorAsFloat32(t).Select(v => v * factor).ToArray();
            var actual = b.ReadTensorAsFloat32(t.Name);
            Assert.True(expected.Any(v => v != 0), $"{t.Name} is all zeros: the first run learned nothing");
            // B × 2 in float32 and the round trip through the file: one rounding of values below 1, 6 places (5e-7).
            for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 6);
        }
    }

    [Fact]
    public void An_adapter_for_other_targets_is_refused_naming_the_tensor()
    {
        var examples = TrainingData.Random(count: 1, vocab: 256, promptLength: 4, responseLength: 4, seed: 9);
        string data = TrainingData.Write(models.NewFile("init2.jsonl"), examples);
        string first = models.NewFile("q.gguf");
        string[] common = ["--base", models.Mistral, "--data", data, "--max-steps", "1", "--threads", "2"];
        TrainingRun.Run(OptionsParser.Parse(TrainerArgs.Complete([.. common, "--out", first, "--targets", "attn_q"])), new ProgressWriter(TextWriter.Null));

        var e = Assert.Throws<TrainerException>(() =>
            TrainingRun.Run(OptionsParser.Parse(TrainerArgs.Complete([.. common, "--out", models.NewFile("x.gguf"), "--targets", "attn_v", "--init-adapter", first])), new ProgressWriter(TextWriter.Null)));
        Assert.Contains(first, e.Message);
        Assert.Contains("blk.0.attn_q.weight.lora_a", e.Message);
    }
}
