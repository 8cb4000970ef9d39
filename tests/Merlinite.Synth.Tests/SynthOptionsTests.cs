using Merlinite.Gguf;
using Merlinite.Gguf.Architecture;
using Merlinite.Synth;

namespace Merlinite.Synth.Tests;

public class SynthOptionsTests
{
    [Fact]
    public void Mistral7B_HasTheRealShapes()
    {
        var hp = new SynthOptions { Preset = SynthPreset.Mistral7B }.ResolveHyperParameters();
        Assert.Equal((32000, 4096, 32, 32, 8, 128, 14336, 32768), (hp.VocabSize, hp.EmbeddingLength, hp.BlockCount,
            hp.HeadCount, hp.HeadCountKv, hp.HeadDim, hp.FeedForwardLength, hp.ContextLength));
        Assert.Equal(10000f, hp.RopeFreqBase);
        Assert.Equal(1e-5f, hp.RmsNormEpsilon);
        Assert.False(hp.IsMixtureOfExperts);
        Assert.Equal(7_241_732_096L, hp.ParameterCount);   // Mistral-7B-v0.1
        Assert.Equal(GgmlType.F16, new SynthOptions { Preset = SynthPreset.Mistral7B }.ResolveStoredType());
    }

    [Fact]
    public void Mixtral8x7B_HasTheRealShapes()
    {
        var options = new SynthOptions { Preset = SynthPreset.Mixtral8x7B };
        Assert.Equal(SynthArch.Mixtral, options.ResolveArch());
        var hp = options.ResolveHyperParameters();
        Assert.Equal((8, 2, 1_000_000f), (hp.ExpertCount, hp.ExpertUsedCount, hp.RopeFreqBase));
        Assert.Equal(46_702_792_704L, hp.ParameterCount);  // Mixtral-8x7B
        Assert.Equal(12_879_925_248L, hp.ActiveParameterCount);
    }

    [Fact]
    public void SmallPresets_AreAbout55To60MParameters()
    {
        long dense = new SynthOptions { Preset = SynthPreset.Small }.ResolveHyperParameters().ParameterCount;
        long moe = new SynthOptions { Preset = SynthPreset.Small, Arch = SynthArch.Mixtral }.ResolveHyperParameters().ParameterCount;
        // Not a tolerance: the size class the small presets promise (54.5M and 60.9M, DEVELOPERS.md).
        Assert.InRange(dense, 50_000_000, 62_000_000);
        Assert.InRange(moe, 50_000_000, 62_000_000);
    }

    [Fact]
    public void Overrides_Apply_AndHeadDimFollowsEmbd()
    {
        var hp = new SynthOptions
        {
            Dimensions = SynthParsing.ParseDimensions("n_embd=128,n_layer=3,n_head=8,n_head_kv=4,n_ff=256,n_ctx=256,rope_theta=20000"),
        }.ResolveHyperParameters();
        Assert.Equal((128, 3, 8, 4, 16, 256, 256, 20000f), (hp.EmbeddingLength, hp.BlockCount, hp.HeadCount,
            hp.HeadCountKv, hp.HeadDim, hp.FeedForwardLength, hp.ContextLength, hp.RopeFreqBase));
        Assert.Equal(SentencePieceVocabulary.BaseSize, hp.VocabSize);
    }

    [Theory]
    [InlineData(SynthPreset.Tiny, SynthArch.Mistral, "n_expert=4", "arch mixtral only")]
    [InlineData(SynthPreset.Tiny, SynthArch.Mixtral, "n_expert=0", "needs n_expert > 0")]
    [InlineData(SynthPreset.Tiny, SynthArch.Mixtral, "n_expert_used=9", "n_expert_used must be between 1 and n_expert")]
    [InlineData(SynthPreset.Tiny, SynthArch.Mistral, "n_head=3", "multiple of n_head")]
    [InlineData(SynthPreset.Tiny, SynthArch.Mistral, "n_head_kv=3", "multiple of n_head_kv")]
    [InlineData(SynthPreset.Tiny, SynthArch.Mistral, "n_vocab=100", "at least")]
    [InlineData(SynthPreset.Mistral7B, SynthArch.Mixtral, "", "preset mistral-7b is dense")]
    [InlineData(SynthPreset.Mixtral8x7B, SynthArch.Mistral, "", "preset mixtral-8x7b is a mixture of experts")]
    public void InvalidCombinations_AreRejected(SynthPreset preset, SynthArch arch, string dims, string expected)
    {
        var options = new SynthOptions { Preset = preset, Arch = arch, Dimensions = SynthParsing.ParseDimensions(dims) };
        var ex = Assert.Throws<ArgumentException>(() => options.ResolveHyperParameters());
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Q8_0_NeedsRowsInBlocksOf32()
    {
        var ok = new SynthOptions { StoredType = GgmlType.Q8_0 };
        ok.ResolveHyperParameters();
        var bad = ok with { Dimensions = new SynthDimensions { FeedForwardLength = 100 } };
        Assert.Contains("multiple of 32", Assert.Throws<ArgumentException>(() => bad.ResolveHyperParameters()).Message);
    }

    [Fact]
    public void TensorList_CoversBothArchitectures()
    {
        var dense = new SynthOptions().ResolveHyperParameters();
        var names = LlamaTensorNames.Expected(dense).Select(t => t.Name).ToList();
        Assert.Equal(3 + 9 * dense.BlockCount, names.Count);
        Assert.Contains("blk.1.ffn_down.weight", names);
        Assert.DoesNotContain(names, n => n.Contains("exps"));

        var moe = new SynthOptions { Arch = SynthArch.Mixtral }.ResolveHyperParameters();
        var specs = LlamaTensorNames.Expected(moe).ToDictionary(t => t.Name);
        Assert.Equal(3 + 10 * moe.BlockCount, specs.Count);
        Assert.Equal([64L, 128, 8], specs["blk.0.ffn_gate_exps.weight"].Shape);
        Assert.Equal([128L, 64, 8], specs["blk.0.ffn_down_exps.weight"].Shape);
        Assert.Equal([64L, 8], specs["blk.0.ffn_gate_inp.weight"].Shape);
        Assert.DoesNotContain("blk.0.ffn_gate.weight", specs.Keys);
    }
}
