using System.Security.Cryptography;
using Merlinite.Gguf;
using Merlinite.Gguf.Architecture;
using Merlinite.Synth;

namespace Merlinite.Synth.Tests;

public sealed class ModelSynthesizerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "merlinite-synth-tests-" + Guid.NewGuid().ToString("N"));

    public ModelSynthesizerTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string PathFor(string name) => Path.Combine(_dir, name);

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    [Theory]
    [InlineData(SynthArch.Mistral)]
    [InlineData(SynthArch.Mixtral)]
    public void SameOptions_GiveByteIdenticalFiles(SynthArch arch)
    {
        var options = new SynthOptions { Arch = arch, Seed = 7 };
        ModelSynthesizer.Synthesize(options, PathFor("a.gguf"));
        ModelSynthesizer.Synthesize(options, PathFor("b.gguf"));
        Assert.Equal(Hash(PathFor("a.gguf")), Hash(PathFor("b.gguf")));
    }

    [Fact]
    public void DifferentSeeds_GiveDifferentTensors_AndTheSameVocabulary()
    {
        ModelSynthesizer.Synthesize(new SynthOptions { Seed = 1 }, PathFor("s1.gguf"));
        ModelSynthesizer.Synthesize(new SynthOptions { Seed = 2 }, PathFor("s2.gguf"));
        using var f1 = GgufFile.Open(PathFor("s1.gguf"));
        using var f2 = GgufFile.Open(PathFor("s2.gguf"));
        foreach (var name in new[] { LlamaTensorNames.TokenEmbedding, LlamaTensorNames.AttentionQuery(1), LlamaTensorNames.OutputNorm })
            Assert.NotEqual(f1.ReadTensorAsFloat32(name), f2.ReadTensorAsFloat32(name));
        Assert.Equal(GgufTestAccess.Strings(f1, "tokenizer.ggml.tokens"), GgufTestAccess.Strings(f2, "tokenizer.ggml.tokens"));
    }

    [Theory]
    [InlineData(SynthArch.Mistral, "")]
    [InlineData(SynthArch.Mixtral, "")]
    [InlineData(SynthArch.Mistral, "n_embd=96,n_layer=3,n_head=6,n_head_kv=3,n_ff=160,n_ctx=333,rope_theta=12345,n_vocab=1500")]
    [InlineData(SynthArch.Mixtral, "n_expert=4,n_expert_used=1,n_ff=64,head_dim=32")]
    public void File_ReadsBack_WithEveryExpectedTensorAndTheHyperParameters(SynthArch arch, string dims)
    {
        var options = new SynthOptions { Arch = arch, Seed = 3, Dimensions = SynthParsing.ParseDimensions(dims) };
        var result = ModelSynthesizer.Synthesize(options, PathFor("m.gguf"));
        var expected = options.ResolveHyperParameters();
        Assert.Equal(expected, result.HyperParameters);

        using var file = GgufFile.Open(PathFor("m.gguf"));
        var hp = LlamaHyperParameters.FromGguf(file);
        Assert.Equal(expected, hp);

        var specs = LlamaTensorNames.Expected(hp);
        Assert.Equal(specs.Count, file.Tensors.Count);
        foreach (var spec in specs)
        {
            var info = file.Tensors.Single(t => t.Name == spec.Name);
            Assert.Equal(spec.Shape, info.Shape);
            Assert.Equal(ModelSynthesizer.StoredTypeOf(spec, GgmlType.F32), info.Type);
        }
        Assert.Equal(result.ParameterCount, specs.Sum(s => s.ElementCount));

        Assert.Equal("llama", GgufTestAccess.String(file, "general.architecture"));
        Assert.Equal("llama", GgufTestAccess.String(file, "tokenizer.ggml.model"));
        Assert.Equal(hp.VocabSize, GgufTestAccess.Strings(file, "tokenizer.ggml.tokens").Count);
        Assert.Equal(3UL, GgufTestAccess.UInt64(file, ModelSynthesizer.KeySynthSeed));
        Assert.Equal("tiny", GgufTestAccess.String(file, ModelSynthesizer.KeySynthPreset));
    }

    [Fact]
    public void TensorValues_MatchGenerateRows_AndHaveTheIntendedScale()
    {
        var options = new SynthOptions { Seed = 11 };
        ModelSynthesizer.Synthesize(options, PathFor("v.gguf"));
        var hp = options.ResolveHyperParameters();
        using var file = GgufFile.Open(PathFor("v.gguf"));
        foreach (var spec in LlamaTensorNames.Expected(hp))
        {
            var stored = file.ReadTensorAsFloat32(spec.Name);
            var generated = ModelSynthesizer.GenerateTensor(11, spec, hp);
            Assert.Equal(generated, stored);
            if (spec.IsNorm)
                Assert.All(stored, v => Assert.InRange(v, 0.95f, 1.05f)); // norms are drawn from 1 ± 0.05 by design
            else
            {
                double std = Math.Sqrt(stored.Average(v => (double)v * v));
                double want = ModelSynthesizer.InitStd(spec, hp);
                // ≥ 2,048 values per tensor (tiny: attn_k is 64×32): the std's sampling error is at most 1/√(2·2048) = 1.6 %;
                // 10 % is 6 of those.
                Assert.InRange(std, want * 0.9, want * 1.1);
            }
        }
    }

    [Fact]
    public void GenerateRows_IsIndependentOfChunking()
    {
        var hp = new SynthOptions().ResolveHyperParameters();
        var spec = LlamaTensorNames.Expected(hp).Single(t => t.Name == LlamaTensorNames.FeedForwardDown(0));
        var whole = ModelSynthesizer.GenerateTensor(5, spec, hp);
        int rowLength = (int)spec.RowLength;
        var pieces = new float[whole.Length];
        for (long row = spec.RowCount - 1; row >= 0; row -= 7)   // backwards, in chunks of up to 7 rows
        {
            long first = Math.Max(0, row - 6);
            int count = (int)(row - first + 1);
            ModelSynthesizer.GenerateRows(5, spec, hp, first, count, pieces.AsSpan((int)first * rowLength, count * rowLength));
        }
        Assert.Equal(whole, pieces);
    }

    [Theory]
    [InlineData("f16")]
    [InlineData("bf16")]
    [InlineData("q8_0")]
    public void OtherStoredTypes_AreWrittenAndDeterministic(string type)
    {
        var options = new SynthOptions { StoredType = SynthParsing.ParseStoredType(type), Seed = 9 };
        ModelSynthesizer.Synthesize(options, PathFor("t1.gguf"));
        ModelSynthesizer.Synthesize(options, PathFor("t2.gguf"));
        Assert.Equal(Hash(PathFor("t1.gguf")), Hash(PathFor("t2.gguf")));
        using var file = GgufFile.Open(PathFor("t1.gguf"));
        var q = file.Tensors.Single(t => t.Name == LlamaTensorNames.AttentionQuery(0));
        Assert.Equal(options.ResolveStoredType(), q.Type);
        Assert.Equal(GgmlType.F32, file.Tensors.Single(t => t.Name == LlamaTensorNames.AttentionNorm(0)).Type);
        // values round-trip within the storage precision
        var hp = options.ResolveHyperParameters();
        var spec = LlamaTensorNames.Expected(hp).Single(t => t.Name == q.Name);
        var generated = ModelSynthesizer.GenerateTensor(9, spec, hp);
        var stored = file.ReadTensorAsFloat32(q.Name);
        double maxErr = generated.Zip(stored).Max(p => Math.Abs(p.First - p.Second));
        // Storage rounding only: q8_0's worst is half a step, 1/254 of a block's largest value (0.4 %); f16's 2^-11.
        Assert.InRange(maxErr, 0, 0.02 * generated.Max(Math.Abs));
    }

    [Fact]
    public void Progress_ReachesTheTotal()
    {
        var reports = new List<SynthProgress>();
        var result = ModelSynthesizer.Synthesize(new SynthOptions { Progress = reports.Add }, PathFor("p.gguf"));
        Assert.NotEmpty(reports);
        Assert.Equal(result.ParameterCount, reports[^1].ElementsDone);
        Assert.Equal(1.0, reports[^1].Fraction);
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.ElementsDone <= p.Second.ElementsDone));
    }

    [Fact]
    public void FromGguf_RejectsOtherArchitecturesAndMissingKeys()
    {
        var w = new GgufWriter();
        w.AddString("general.architecture", "qwen2");
        w.Write(PathFor("qwen.gguf"));
        using (var f = GgufFile.Open(PathFor("qwen.gguf")))
            Assert.Contains("qwen2", Assert.Throws<GgufFormatException>(() => LlamaHyperParameters.FromGguf(f)).Message);

        w = new GgufWriter();
        w.AddString("general.architecture", "llama");
        w.AddUInt32("llama.context_length", 128);
        w.Write(PathFor("partial.gguf"));
        using (var f = GgufFile.Open(PathFor("partial.gguf")))
            Assert.Contains("llama.embedding_length", Assert.Throws<GgufFormatException>(() => LlamaHyperParameters.FromGguf(f)).Message);
    }
}
