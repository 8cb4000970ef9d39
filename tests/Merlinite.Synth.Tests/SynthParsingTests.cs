using Merlinite.Gguf;
using Merlinite.Synth;

namespace Merlinite.Synth.Tests;

public class SynthParsingTests
{
    [Theory]
    [InlineData("tiny", SynthPreset.Tiny)]
    [InlineData("Small", SynthPreset.Small)]
    [InlineData("mistral-7b", SynthPreset.Mistral7B)]
    [InlineData("Mistral7B", SynthPreset.Mistral7B)]
    [InlineData("mixtral-8x7b", SynthPreset.Mixtral8x7B)]
    [InlineData("mixtral_8x7b", SynthPreset.Mixtral8x7B)]
    public void ParsePreset_AcceptsNames(string text, SynthPreset expected) =>
        Assert.Equal(expected, SynthParsing.ParsePreset(text));

    [Fact]
    public void ParsePreset_RejectsUnknownNames()
    {
        var ex = Assert.Throws<FormatException>(() => SynthParsing.ParsePreset("huge"));
        Assert.Contains("huge", ex.Message);
        Assert.Contains("mistral-7b", ex.Message);
    }

    [Fact]
    public void ParseArchAndType()
    {
        Assert.Equal(SynthArch.Mistral, SynthParsing.ParseArch("mistral"));
        Assert.Equal(SynthArch.Mixtral, SynthParsing.ParseArch("MIXTRAL"));
        Assert.Throws<FormatException>(() => SynthParsing.ParseArch("llama"));
        Assert.Equal(GgmlType.F32, SynthParsing.ParseStoredType("f32"));
        Assert.Equal(GgmlType.F16, SynthParsing.ParseStoredType("F16"));
        Assert.Equal(GgmlType.BF16, SynthParsing.ParseStoredType("bf16"));
        Assert.Equal(GgmlType.Q8_0, SynthParsing.ParseStoredType("q8_0"));
        var ex = Assert.Throws<FormatException>(() => SynthParsing.ParseStoredType("q4_0"));
        Assert.Contains("q8_0", ex.Message);
    }

    [Fact]
    public void ParseDimensions_ReadsEveryKey()
    {
        var d = SynthParsing.ParseDimensions(
            "n_vocab=2000, n_embd=128,n_layer=4,n_head=8,n_head_kv=2,head_dim=16,n_ff=256,n_ctx=512,n_expert=4,n_expert_used=1,rope_theta=500000,rms_eps=1e-6");
        Assert.Equal(new SynthDimensions
        {
            VocabSize = 2000, EmbeddingLength = 128, BlockCount = 4, HeadCount = 8, HeadCountKv = 2, HeadDim = 16,
            FeedForwardLength = 256, ContextLength = 512, ExpertCount = 4, ExpertUsedCount = 1, RopeFreqBase = 500000f,
            RmsNormEpsilon = 1e-6f,
        }, d);
        Assert.Equal(SynthDimensions.None, SynthParsing.ParseDimensions(""));
        Assert.Equal(SynthDimensions.None, SynthParsing.ParseDimensions(null));
    }

    [Theory]
    [InlineData("n_embed=128", "unknown --dims key 'n_embed'")]
    [InlineData("n_embd", "no '='")]
    [InlineData("n_embd=", "no value")]
    [InlineData("=5", "no key")]
    [InlineData("n_embd=abc", "n_embd must be a non-negative integer")]
    [InlineData("n_embd=-4", "n_embd must be a non-negative integer")]
    [InlineData("n_embd=0", "n_embd must be positive")]
    [InlineData("n_embd=1.5", "n_embd must be a non-negative integer")]
    [InlineData("n_embd=64,n_embd=128", "given twice")]
    [InlineData("n_embd=64,,n_layer=2", "empty entry")]
    [InlineData("rope_theta=0", "rope_theta must be a positive number")]
    [InlineData("rope_theta=x", "rope_theta must be a positive number")]
    public void ParseDimensions_ReportsClearErrors(string text, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => SynthParsing.ParseDimensions(text));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void UnknownKeyError_ListsTheValidKeys()
    {
        var ex = Assert.Throws<FormatException>(() => SynthParsing.ParseDimensions("layers=3"));
        foreach (string key in SynthParsing.DimensionKeys) Assert.Contains(key, ex.Message);
    }
}
