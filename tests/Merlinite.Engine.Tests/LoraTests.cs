using Merlinite.Engine.Chat;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;
using Merlinite.Gguf;

namespace Merlinite.Engine.Tests;

/// <summary>--lora plumbing: an adapter in llama.cpp's GGUF LoRA format is loaded and applied with its scale.</summary>
[Collection("tiny models")]
public class LoraTests(TinyModels models) : IDisposable
{
    private readonly string _adapter = Path.Combine(Path.GetTempPath(), $"merlinite-lora-{Guid.NewGuid():N}.gguf");

    public void Dispose() => File.Delete(_adapter);

    /// <summary>A random rank-4 adapter on attn_q and ffn_up of both layers (lora_a ne=[n_in, r], lora_b ne=[r, n_out]).</summary>
    private void WriteRandomAdapter()
    {
        const int rank = 4, nEmbd = 64, nFf = 192;
        var rng = new Random(5);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var w = new GgufWriter();
        w.AddString("general.architecture", "llama");
        w.AddString("general.type", "adapter");
        w.AddString("adapter.type", "lora");
        w.AddFloat32("adapter.lora.alpha", rank);
        for (int l = 0; l < 2; l++)
        {
            w.AddTensor($"blk.{l}.attn_q.weight.lora_a", [nEmbd, rank], GgmlType.F32, Rand(nEmbd * rank));
            w.AddTensor($"blk.{l}.attn_q.weight.lora_b", [rank, nEmbd], GgmlType.F32, Rand(rank * nEmbd));
            w.AddTensor($"blk.{l}.ffn_up.weight.lora_a", [nEmbd, rank], GgmlType.F32, Rand(nEmbd * rank));
            w.AddTensor($"blk.{l}.ffn_up.weight.lora_b", [rank, nFf], GgmlType.F32, Rand(rank * nFf));
        }
        w.Write(_adapter);
    }

    private double ScoreWith(params LoraSpec[] loras)
    {
        using var m = LoadedModel.Load(new ModelLoadOptions { Model = new(models.Mistral) { Loras = loras }, Runtime = new() { Context = 512, Threads = 1 } });
        var item = new ScoreTemplate(m, ChatTemplate.Merlinite, true).Build("x", [ChatMessage.User("Reverse: 1 2 3")], "3 2 1");
        return new Scorer(m, new ScorerOptions()).Score([item])[0].Sum;
    }

    [Fact]
    public void An_adapter_changes_the_log_probs_and_scale_zero_is_the_base_model()
    {
        WriteRandomAdapter();
        double baseline = ScoreWith();
        double adapted = ScoreWith(new LoraSpec(_adapter, 1.0f));
        double zero = ScoreWith(new LoraSpec(_adapter, 0.0f));
        double half = ScoreWith(new LoraSpec(_adapter, 0.5f));
        // A random adapter moves the summed log-prob by whole nats; 1e-3 is still 100× float32's rounding of the sum.
        Assert.True(Math.Abs(adapted - baseline) > 1e-3, $"adapter had no effect ({adapted} vs {baseline})");
        // Scale 0 adds exact zeros; 6 places (5e-7) covers a last-bit difference of the ~10 summed float32 log-probs.
        Assert.Equal(baseline, zero, 6);
        Assert.NotEqual(adapted, half, 6);
    }

    [Fact]
    public void A_file_that_is_not_an_adapter_is_refused_with_its_path()
    {
        var ex = Assert.ThrowsAny<Exception>(() => ScoreWith(new LoraSpec(models.Mixtral, 1.0f)));
        Assert.Contains(models.Mixtral, ex.Message);
    }
}
