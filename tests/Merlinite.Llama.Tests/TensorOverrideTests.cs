using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Merlinite.Llama.Tests;

/// <summary>Tensors kept in CPU memory by name pattern (<c>tensor_buft_overrides</c>), as MoE experts overflow a
/// GPU.</summary>
[Collection(NativeCollection.Name)]
public sealed class TensorOverrideTests(TinyGgufFiles files) : IClassFixture<TinyGgufFiles>
{
    [Fact]
    public void Expert_pattern_names_the_layers_and_only_their_expert_tensors()
    {
        string p = LlamaTensorPatterns.ExpertLayers([7, 3, 4, 3])!;
        Assert.Equal(@"blk\.(3|4|7)\.ffn_(up|down|gate_up|gate)_(ch)?exps", p);
        Assert.Null(LlamaTensorPatterns.ExpertLayers([]));
        // ECMAScript semantics of these constructs are the same in .NET and std::regex.
        var r = new Regex(p, RegexOptions.ECMAScript);
        Assert.Matches(r, "blk.3.ffn_up_exps.weight");
        Assert.Matches(r, "blk.7.ffn_gate_up_exps.weight");
        Assert.Matches(r, "blk.4.ffn_down_chexps.weight");
        Assert.DoesNotMatch(r, "blk.13.ffn_up_exps.weight");
        Assert.DoesNotMatch(r, "blk.3.ffn_up_shexp.weight");
        Assert.DoesNotMatch(r, "blk.3.attn_q.weight");
        Assert.DoesNotMatch(r, "blk.3.ffn_gate_inp.weight");
    }

    [Fact]
    public void Experts_on_the_CPU_give_bitwise_equal_logits_and_the_override_is_applied()
    {
        string pattern = LlamaTensorPatterns.ExpertLayers([0, 1])!;
        float[] plain = Evaluate(files.Mixtral, null, out _);
        float[] moved = Evaluate(files.Mixtral, [pattern], out var log);

        // llama.cpp logs each tensor a pattern moved (debug level), with the buffer type it went to.
        var overridden = log.Select(l => Regex.Match(l, @"^tensor (\S+) \(.*\) buffer type overridden to (\S+)$"))
            .Where(m => m.Success).Select(m => (m.Groups[1].Value, m.Groups[2].Value)).Order().ToList();
        var expected = new[] { 0, 1 }.SelectMany(l => new[] { "down", "gate", "up" }
            .Select(k => ($"blk.{l}.ffn_{k}_exps.weight", "CPU"))).Order().ToList();
        Assert.Equal(expected, overridden);

        // On a CPU-only build every tensor is in CPU memory already: the override changes which buffer type
        // llama.cpp books the experts under, not where or how they are computed, so the logits are the same bits.
        Assert.True(MemoryMarshal.AsBytes(plain.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(moved.AsSpan())),
            "logits differ with the experts overridden to the CPU");
    }

    [Fact]
    public void A_pattern_that_does_not_compile_is_refused_naming_it_before_the_file_is_read()
    {
        foreach (string bad in new[] { @"blk\.(3", @"ffn_(?<kind>up)_exps", "(?<=blk)x", "" })
        {
            // A missing file proves nothing was read: the pattern is checked first.
            string missing = Path.Combine(files.Folder, "absent.gguf");
            var e = Assert.Throws<LlamaTensorPatternException>(
                () => LlamaModel.Load(missing, LlamaModel.DefaultParams(), cpuTensorPatterns: [bad]));
            Assert.Equal(bad, e.Pattern);
            if (bad.Length > 0) Assert.Contains($"\"{bad}\"", e.Message);
            Assert.IsAssignableFrom<LlamaException>(e);
        }
    }

    [Fact]
    public void A_pattern_only_std_regex_rejects_is_a_load_failure_with_its_reason_not_a_crash()
    {
        // .NET reads "[[:foo:]]" as a character class followed by "]"; std::regex rejects the unknown class name.
        // llama.cpp v0.5.0 catches the regex_error and fails the load (measured with a C probe).
        var e = Assert.Throws<LlamaModelLoadException>(
            () => LlamaModel.Load(files.Mixtral, LlamaModel.DefaultParams(), cpuTensorPatterns: ["[[:foo:]]"]));
        Assert.Contains("character class", e.Message);
        using var model = LlamaModel.Load(files.Mixtral);  // the process and llama.cpp go on
        Assert.True(model.SizeBytes > 0);
    }

    /// <summary>Logits of every position of a fixed token sequence, and the log lines of the load.</summary>
    private static float[] Evaluate(string path, IReadOnlyList<string>? patterns, out IReadOnlyList<string> log)
    {
        using var capture = LlamaRuntime.CaptureLog();
        using var model = LlamaModel.Load(path, LlamaModel.DefaultParams(), cpuTensorPatterns: patterns);
        log = capture.Lines();
        capture.Dispose();
        using var ctx = model.CreateContext(TinyGgufFiles.EngineContext(64));
        int[] tokens = [.. Enumerable.Range(0, 12).Select(i => 40 + 37 * i % 900)];
        using var batch = new LlamaBatch(tokens.Length);
        for (int i = 0; i < tokens.Length; i++) batch.Add(tokens[i], i, 0, logits: true);
        Assert.Equal(0, ctx.Decode(batch));
        return ctx.GetLogits(tokens.Length).ToArray();
    }
}
