using Merlinite.Llama.Native;

namespace Merlinite.Llama.Tests;

/// <summary>Wrapper behaviour that needs llama.cpp but no model.</summary>
[Collection(NativeCollection.Name)]
public sealed unsafe class ApiTests
{
    [Fact]
    public void Sampler_chain_owns_what_is_added()
    {
        using var chain = LlamaSampler.CreateChain();
        var topK = LlamaSampler.TopK(40);
        chain.Add(topK).Add(LlamaSampler.TopP(0.9f)).Add(LlamaSampler.MinP(0.05f)).Add(LlamaSampler.Temp(0.8f)).Add(LlamaSampler.Dist(42));
        Assert.Equal(5, chain.Count);
        Assert.Equal(["top-k", "top-p", "min-p", "temp", "dist"], chain.GetSamplerNames());
        Assert.Throws<ObjectDisposedException>(() => topK.Name); // moved into the chain
        topK.Dispose(); // harmless
        Assert.Equal(42u, chain.Seed);

        using var removed = chain.Remove(0);
        Assert.Equal("top-k", removed.Name);
        Assert.False(removed.IsChain);
        Assert.Equal(4, chain.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => chain.Remove(10));
        Assert.Throws<InvalidOperationException>(() => removed.Count);
    }

    [Fact]
    public void Greedy_sampler_applies_to_caller_candidates()
    {
        using var greedy = LlamaSampler.Greedy();
        var data = new llama_token_data[] { new() { id = 0, logit = 1f }, new() { id = 1, logit = 3f }, new() { id = 2, logit = 2f } };
        fixed (llama_token_data* p = data)
        {
            var arr = new llama_token_data_array { data = p, size = (nuint)data.Length, selected = -1, sorted = false };
            greedy.Apply(ref arr);
            Assert.Equal(1, arr.data[arr.selected].id);
        }
    }

    [Fact]
    public void Other_samplers_can_be_created()
    {
        using var chain = LlamaSampler.CreateChain(noPerf: false);
        chain.Add(LlamaSampler.Penalties(32000, 64, 1.1f))
             .Add(LlamaSampler.LogitBias(32000, [new llama_logit_bias { token = 5, bias = -1f }]))
             .Add(LlamaSampler.Typical(0.9f))
             .Add(LlamaSampler.TempExt(0.8f, 0.1f, 1f))
             .Add(LlamaSampler.Xtc(0.1f, 0.5f, 1, 7))
             .Add(LlamaSampler.TopNSigma(1f))
             .Add(LlamaSampler.MirostatV2(7, 5f, 0.1f));
        Assert.Equal(7, chain.Count);
        using var clone = chain.Clone();
        Assert.Equal(7, clone.Count);
        _ = chain.GetPerformance();
        chain.Reset();
    }

    [Fact]
    public void Batch_add_clear_and_bounds()
    {
        using var batch = new LlamaBatch(3, maxSequencesPerToken: 2);
        batch.Add(10, 0, 0, false);
        batch.Add(11, 1, [0, 1], true);
        Assert.Equal(2, batch.Count);
        var n = batch.Native;
        Assert.Equal(2, n.n_tokens);
        Assert.Equal(11, n.token[1]);
        Assert.Equal(1, n.pos[1]);
        Assert.Equal(2, n.n_seq_id[1]);
        Assert.Equal(1, n.seq_id[1][1]);
        Assert.Equal(1, n.logits[1]);
        Assert.Equal(0, n.logits[0]);
        Assert.Throws<ArgumentException>(() => batch.Add(12, 2, [0, 1, 2], false));
        batch.Add(12, 2, 0, false);
        batch.SetLogits(2, true);
        Assert.True(batch.GetLogits(2));
        Assert.Throws<InvalidOperationException>(() => batch.Add(13, 3, 0, false));
        batch.Clear();
        Assert.Equal(0, batch.Count);
        batch.Dispose();
        Assert.Throws<ObjectDisposedException>(() => batch.Add(1, 0, 0, false));
    }

    [Fact]
    public void Chat_template_chatml()
    {
        string s = LlamaChat.ApplyTemplate("chatml", [new("system", "Be brief."), new("user", "Hi")], addAssistant: true);
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", s);
        // a long message goes through the grow-and-retry path
        string big = new('x', 10_000);
        Assert.Contains(big, LlamaChat.ApplyTemplate(null, [new("user", big)], addAssistant: false));
        Assert.Throws<LlamaException>(() => LlamaChat.ApplyTemplate("no-such-template", [new("user", "Hi")], true));
    }

    [Fact]
    public void Builtin_chat_templates()
    {
        var names = LlamaChat.BuiltinTemplates();
        Assert.Contains("chatml", names);
        Assert.Contains("llama3", names);
    }
}
