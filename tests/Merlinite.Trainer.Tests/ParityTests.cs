using System.Globalization;
using Merlinite.Trainer.Lora;
using Merlinite.Trainer.Model;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Tests;

/// <summary>
/// The trainer's TorchSharp forward pass computes what llama.cpp computes: same logits on the same tokens, for the
/// dense and the mixture-of-experts tiny models, and with a (non-zero) adapter the trainer wrote and llama.cpp loaded.
/// </summary>
[Collection("trainer")]
public class ParityTests(TinyModels models, ITestOutputHelper output)
{
    // float32 on both sides, different kernels: 2^-24 × an accumulation depth of ~1,000 (two layers of 64- and 192-wide
    // dot products, attention over 48 positions, the output projection) × logits of up to ~10 ≈ 6e-4 at worst; measured
    // at most 8.6e-6 (ATen's AVX-512, AVX2 and scalar kernels, MKL's own and COMPATIBLE branches).
    private const double Tolerance = 1e-3;

    [Theory]
    [InlineData("mistral")]
    [InlineData("mixtral")]
    public void Base_model_logits_match_llama_cpp(string which)
    {
        var model = ModelLoader.Load(models.ModelPath(which), ScalarType.Float32, CPU);
        Assert.Equal(which == "mixtral", model.Hp.IsMixtureOfExperts);
        var tokens = TorchModels.RandomTokens(48, model.Hp.VocabSize, seed: 7);

        double diff = TorchModels.MaxAbsDiff(TorchModels.Logits(model, tokens), LlamaCppLogits.Of(models.ModelPath(which), tokens));

        output.WriteLine($"{which}: max |torch - llama.cpp| logit = {diff.ToString("E2", CultureInfo.InvariantCulture)} over {tokens.Length} positions");
        Assert.True(diff < Tolerance, $"{which}: max abs logit difference {diff} (tolerance {Tolerance})");
    }

    [Theory]
    [InlineData("mistral")]
    [InlineData("mixtral")]
    public void Logits_with_a_random_adapter_match_llama_cpp_loading_the_written_file(string which)
    {
        string adapterPath = models.NewFile("random-adapter.gguf");
        var config = new LoraConfig(Rank: 4, Alpha: 8, Dropout: 0, Targets: LoraTargets.All);

        // An adapter with random A and random (non-zero) B on every target, experts included for Mixtral.
        var trained = ModelLoader.Load(models.ModelPath(which), ScalarType.Float32, CPU);
        using (var generator = new Generator(11))
            trained.AttachAdapters(config, generator);
        var rng = new Random(3);
        foreach (var adapter in trained.Adapters)
            TensorData.CopyInto(adapter.B, Enumerable.Range(0, (int)adapter.B.numel()).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.2f).ToArray());
        AdapterFile.Write(adapterPath, trained.Adapters, config.Alpha, steps: 0, finalLoss: double.NaN, lastEpochLoss: double.NaN);
        Assert.Equal(trained.Hp.BlockCount * LoraTargets.All.Count, trained.Adapters.Count);

        // The file read back (as --init-adapter does) into a fresh model, against llama.cpp reading the same file.
        var reloaded = ModelLoader.Load(models.ModelPath(which), ScalarType.Float32, CPU);
        using (var generator = new Generator(99))
            reloaded.AttachAdapters(config, generator);
        AdapterFile.LoadInto(adapterPath, reloaded, config.Alpha);

        var tokens = TorchModels.RandomTokens(40, trained.Hp.VocabSize, seed: 8);
        var torchLogits = TorchModels.Logits(reloaded, tokens);
        var baseLogits = LlamaCppLogits.Of(models.ModelPath(which), tokens);
        var adaptedLogits = LlamaCppLogits.Of(models.ModelPath(which), tokens, adapterPath);
        double diff = TorchModels.MaxAbsDiff(torchLogits, adaptedLogits);
        double effect = TorchModels.MaxAbsDiff(baseLogits, adaptedLogits);
        double sameAsWritten = TorchModels.MaxAbsDiff(torchLogits, TorchModels.Logits(trained, tokens));

        output.WriteLine($"{which} + adapter: max |torch - llama.cpp| logit = {diff.ToString("E2", CultureInfo.InvariantCulture)}; " +
                         $"the adapter moves llama.cpp's logits by up to {effect:F3}");
        // Not a tolerance: the adapter must move the logits (measured up to 6.4) far beyond the parity bound.
        Assert.True(effect > 0.05, $"the adapter barely changes the logits ({effect}): the comparison would prove little");
        // The same weights through the same kernels: nothing may change (measured 0).
        Assert.True(sameAsWritten == 0, $"reading the adapter back changed the logits by {sameAsWritten}");
        Assert.True(diff < Tolerance, $"{which} with adapter: max abs logit difference {diff} (tolerance {Tolerance})");
    }
}
