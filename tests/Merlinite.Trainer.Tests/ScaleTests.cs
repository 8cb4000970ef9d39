using Merlinite.Gguf;
using Merlinite.Synth;
using Merlinite.Trainer.Cli;
using Merlinite.Trainer.Training;
using Xunit.Abstractions;

namespace Merlinite.Trainer.Tests;

/// <summary>What makes 7B fit: packing, checkpointing and bf16 change memory, not (beyond bf16's rounding) results; a
/// bf16 load never holds a float32 copy; a run that cannot fit is refused before anything loads.</summary>
[Collection("trainer")]
public class ScaleTests(TinyModels models, ITestOutputHelper output)
{
    /// <summary>Examples of different lengths, so that packing and padding really differ.</summary>
    private string Data(int count, int seed)
    {
        var rng = new Random(seed);
        var examples = Enumerable.Range(0, count).Select(i =>
        {
            int prompt = rng.Next(3, 12), response = rng.Next(2, 14);
            var tokens = new[] { 1 }.Concat(Enumerable.Range(0, prompt + response).Select(_ => rng.Next(3, 256))).ToArray();
            return new TrainingData.Example(tokens, tokens.Select((_, t) => t > prompt).ToArray());
        });
        return TrainingData.Write(models.NewFile("varied.jsonl"), examples);
    }

    /// <summary>Trains with these tests' settings; <paramref name="extra"/> flags replace them.</summary>
    private static (List<double> Losses, string Adapter) Train(string model, string data, string adapter, params string[] extra)
    {
        var flags = new List<(string, string)>
        {
            ("--targets", "attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down"), ("--rank", "4"), ("--alpha", "8"), ("--lr", "1e-2"),
            ("--max-steps", "4"), ("--batch-size", "3"), ("--grad-accum", "2"), ("--seed", "9"),
        };
        for (int i = 0; i < extra.Length; i += 2)
        {
            flags.RemoveAll(f => f.Item1 == extra[i]);
            flags.Add((extra[i], extra[i + 1]));
        }
        var stdout = new StringWriter();
        TrainingRun.Run(OptionsParser.Parse(TrainerArgs.Complete(["--base", model, "--data", data, "--out", adapter, .. flags.SelectMany(f => new[] { f.Item1, f.Item2 })])),
            new ProgressWriter(stdout));
        return (TrainerEvents.Parse(stdout.ToString()).OfKind("step").Select(e => e.GetProperty("loss").GetDouble()).ToList(), adapter);
    }

    private static float[] AdapterValues(string path)
    {
        using var f = GgufFile.Open(path);
        return f.Tensors.SelectMany(t => f.ReadTensorAsFloat32(t)).ToArray();
    }

    [Theory]
    [InlineData("mistral")]
    [InlineData("mixtral")]
    public void Packed_micro_batches_train_as_one_example_per_row_does(string which)
    {
        string data = Data(12, seed: 4);
        var rows = Train(models.ModelPath(which), data, models.NewFile("rows.gguf"));
        var packed = Train(models.ModelPath(which), data, models.NewFile("packed.gguf"), "--max-batch-tokens", "48");
        // Packing changes only matrix shapes, hence the order in which MKL and ATen sum: rounding, nothing more. Bounds
        // are the largest difference measured across kernel choices (ATen's AVX-512, AVX2 and scalar kernels × MKL's
        // own and its COMPATIBLE branch, on a Zen 4/5 and reported on a Zen 3) times a margin of at least 10.
        // Losses: at most 1.3e-7 relative measured, so 1e-5 (×75).
        for (int i = 0; i < rows.Losses.Count; i++)
            Assert.True(Math.Abs(rows.Losses[i] - packed.Losses[i]) <= 1e-5 * Math.Abs(rows.Losses[i]),
                $"step {i + 1}: {rows.Losses[i]} vs {packed.Losses[i]}");
        // Adapters as a whole (relative L2): at most 1.3e-6 measured, so 2e-5 (×15). Not element by element: AdamW divides
        // each gradient by its own RMS, so a component that is mostly rounding noise moves by whatever the noise says
        // (largest single element measured: 1.0e-5 here, 1.5e-5 on a Zen 3, of values up to 0.14).
        var a = AdapterValues(rows.Adapter);
        var b = AdapterValues(packed.Adapter);
        double diff = a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
        double l2 = Math.Sqrt(a.Zip(b).Sum(p => (double)(p.First - p.Second) * (p.First - p.Second)) / a.Sum(x => (double)x * x));
        output.WriteLine($"{which}: adapters differ by {l2:E2} relative L2, at most {diff:E2} per value");
        Assert.True(l2 < 2e-5, $"the adapters differ by {l2:E2} (relative L2)");
    }

    [Fact]
    public void Checkpointing_recomputes_exactly_what_it_dropped()
    {
        string data = Data(9, seed: 5);
        var off = Train(models.Mistral, data, models.NewFile("off.gguf"), "--checkpointing", "off", "--dropout", "0.1");
        var on = Train(models.Mistral, data, models.NewFile("on.gguf"), "--checkpointing", "on", "--dropout", "0.1");
        Assert.Equal(off.Losses, on.Losses);
        Assert.Equal(AdapterValues(off.Adapter), AdapterValues(on.Adapter));
    }

    [Fact]
    public void Bf16_training_stays_within_2_percent_of_f32_and_its_adapter_scores_within_a_third_of_a_nat()
    {
        string model = models.NewFile("small.gguf");
        ModelSynthesizer.Synthesize(new SynthOptions { Arch = SynthArch.Mistral, Preset = SynthPreset.Small, Seed = 3 }, model);
        // Learning, but not yet memorizing: near a loss of 0 a relative comparison would measure nothing.
        var examples = TrainingData.Random(count: 12, vocab: 4000, promptLength: 12, responseLength: 12, seed: 6);
        string data = TrainingData.Write(models.NewFile("bf16.jsonl"), examples);
        string[] common = ["--max-steps", "6", "--batch-size", "4", "--grad-accum", "1", "--lr", "1e-3", "--rank", "8", "--alpha", "16"];
        var f32 = Train(model, data, models.NewFile("f32.gguf"), [.. common, "--dtype", "f32"]);
        var bf16 = Train(model, data, models.NewFile("bf16.gguf"), [.. common, "--dtype", "bf16"]);
        output.WriteLine($"f32 losses {string.Join(", ", f32.Losses)}; bf16 {string.Join(", ", bf16.Losses)}");
        Assert.True(f32.Losses[^1] < f32.Losses[0], "f32 training did not learn");
        // bf16's 8-bit mantissa on the frozen base sends training on another path. Measured (ATen's AVX-512, AVX2 and scalar
        // kernels, oneDNN's AVX-512 BF16 and AVX2): final losses at most 9.5e-4 apart relative, so 2 % (×21); per token
        // through llama.cpp at most 0.031 nats, so 0.35 (×11), against an adapter that moves the loss by ~3.7 nats.
        Assert.True(Math.Abs(bf16.Losses[^1] - f32.Losses[^1]) <= 0.02 * f32.Losses[^1], $"final loss {bf16.Losses[^1]} vs {f32.Losses[^1]}");

        double worst = 0;
        foreach (var ex in examples)
        {
            double a = LlamaCppLogits.SummedLogProb(LlamaCppLogits.Of(model, ex.Tokens, f32.Adapter), ex.Tokens, ex.Mask);
            double b = LlamaCppLogits.SummedLogProb(LlamaCppLogits.Of(model, ex.Tokens, bf16.Adapter), ex.Tokens, ex.Mask);
            worst = Math.Max(worst, Math.Abs(a - b) / ex.Mask.Skip(1).Count(m => m));
        }
        output.WriteLine($"worst per-token difference through llama.cpp: {worst:F4} nats");
        Assert.True(worst < 0.35, $"{worst} nats per token");
    }

    [Fact]
    public void A_bf16_load_never_holds_a_float32_copy_of_the_model()
    {
        string model = models.NewFile("load.gguf");
        ModelSynthesizer.Synthesize(new SynthOptions { Arch = SynthArch.Mistral, Preset = SynthPreset.Small, Seed = 4 }, model);
        long f32Weights;
        using (var f = GgufFile.Open(model)) f32Weights = f.Tensors.Sum(t => t.ElementCount * 4);
        string data = TrainingData.Write(models.NewFile("load.jsonl"), TrainingData.Random(2, 4000, 4, 4, 1));
        long PeakAfterLoad(string dtype)
        {
            var r = TrainerProcess.Run("--base", model, "--data", data, "--out", models.NewFile("load-out.gguf"), "--max-steps", "1", "--dtype", dtype);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return r.Events.OfKind("start").Single().GetProperty("peak_resident_bytes").GetInt64();
        }
        long bf16 = PeakAfterLoad("bf16"), f32 = PeakAfterLoad("f32");
        output.WriteLine($"peak after load: bf16 {bf16 >> 20} MiB, f32 {f32 >> 20} MiB, f32 weights {f32Weights >> 20} MiB");
        // A bf16 load that went through float32 would peak at least as high as the f32 load; chunked, it saves half the weights.
        Assert.True(f32 - bf16 > 0.25 * f32Weights, $"bf16 load peaked at {bf16 >> 20} MiB, f32 at {f32 >> 20} MiB");
    }

    [Fact]
    public void A_run_that_cannot_fit_is_refused_by_the_plan_before_loading_anything()
    {
        // A Llama-2-70B-shaped header (no tensor data is read before the plan): 140 GB in bf16, more than any test machine.
        string model = models.NewFile("seventy.gguf");
        var writer = new GgufWriter();
        using (var tiny = GgufFile.Open(models.Mistral))
            foreach (var kv in tiny.Metadata)
                if (!kv.Key.StartsWith("llama.", StringComparison.Ordinal) && kv.Key != "general.alignment") writer.Add(kv.Key, kv.Value);
        writer.AddUInt32("llama.context_length", 4096);
        writer.AddUInt32("llama.embedding_length", 8192);
        writer.AddUInt32("llama.block_count", 80);
        writer.AddUInt32("llama.feed_forward_length", 28672);
        writer.AddUInt32("llama.attention.head_count", 64);
        writer.AddUInt32("llama.attention.head_count_kv", 8);
        writer.AddFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        writer.AddFloat32("llama.rope.freq_base", 10000);
        writer.Write(model);
        string data = TrainingData.Write(models.NewFile("fit.jsonl"), TrainingData.Random(2, 256, 4, 4, 1));
        var r = TrainerProcess.Run("--base", model, "--data", data, "--out", models.NewFile("never.gguf"), "--dtype", "bf16", "--checkpointing", "auto");
        Assert.Equal(1, r.ExitCode);
        var error = r.Events.OfKind("error").Single();
        Assert.Equal("memory_plan", error.GetProperty("kind").GetString());
        Assert.Contains("the memory plan needs", error.GetProperty("message").GetString());
        Assert.Empty(r.Events.OfKind("start"));
        Assert.True(r.Events.OfKind("plan").Single().GetProperty("checkpointing").GetBoolean(), "auto turns checkpointing on when it does not fit without");
    }
}
