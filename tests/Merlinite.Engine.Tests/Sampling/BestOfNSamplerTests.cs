using Merlinite.Engine.Chat;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Sampling;

namespace Merlinite.Engine.Tests.Sampling;

[Collection("tiny models")]
public class BestOfNSamplerTests(TinyModels models)
{
    private static readonly SamplingOptions Hot = new() { Temperature = 1.0f, TopK = 0, TopP = 1, MinP = 0, MaxTokens = 24, Seed = 3 };

    private List<PromptSamples> Sample(int parallel, BestOfNOptions options, int prompts = 6, int ctx = 2048, bool exact = true, string? path = null,
        bool kvPerSequence = false)
    {
        using var m = LoadedModel.Load(new ModelLoadOptions
        {
            Model = new(path ?? models.Mistral), Runtime = new() { Context = ctx, Threads = 1, FastAttention = !exact },
            Sequences = BestOfNSampler.SequencesFor(parallel), KvPerSequence = kvPerSequence,
        });
        var requests = Enumerable.Range(0, prompts)
            .Select(i => new SampleRequest($"q{i}", m.TokenizePrompt(MerliniteTemplate.Render([ChatMessage.User(new string('x', i) + " task " + i)]))))
            .ToList();
        var results = new List<PromptSamples>();
        new BestOfNSampler(m, options).Run(requests, results.Add, null, default);
        return results;
    }

    private static string[] Texts(IEnumerable<PromptSamples> r) => r.SelectMany(p => p.Samples.Select(s => $"{p.Request.Id}/{s.Index}:{s.FinishReason}:{s.Text}")).ToArray();

    [Fact]
    public void Prompts_come_back_in_input_order_with_n_samples_each_in_sample_order()
    {
        var r = Sample(parallel: 5, new BestOfNOptions { Sampling = Hot, N = 3 });
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"q{i}"), r.Select(p => p.Request.Id));
        Assert.All(r, p => Assert.Equal([0, 1, 2], p.Samples.Select(s => s.Index)));
        Assert.All(r, p => Assert.All(p.Samples, s => Assert.Equal(SampleSeeds.Derive(Hot.Seed, p.Request.Id, s.Index), s.Seed)));
    }

    [Fact]
    public void At_temperature_one_the_samples_of_a_prompt_differ_and_at_zero_they_are_identical()
    {
        var hot = Sample(parallel: 8, new BestOfNOptions { Sampling = Hot, N = 8 }, prompts: 3);
        Assert.All(hot, p => Assert.True(p.Samples.Select(s => s.Text).Distinct().Count() > 1, $"{p.Request.Id}: all 8 samples identical"));
        var greedy = Sample(parallel: 8, new BestOfNOptions { Sampling = Hot with { Temperature = 0 }, N = 8 }, prompts: 3);
        Assert.All(greedy, p => Assert.Single(p.Samples.Select(s => s.Text).Distinct()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void With_exact_attention_the_text_does_not_depend_on_parallel(bool mixtral)
    {
        // Measured, not promised by llama.cpp: on the CPU backend with an F32 KV cache and no flash attention, every
        // sample was identical across --parallel 1, 4 and 32 (docs/benchmarks.md has the figures for both modes).
        var options = new BestOfNOptions { Sampling = Hot, N = 4 };
        string? model = mixtral ? models.Mixtral : null;
        var one = Texts(Sample(parallel: 1, options, path: model));
        Assert.Equal(one, Texts(Sample(parallel: 4, options, path: model)));
        Assert.Equal(one, Texts(Sample(parallel: 32, options, path: model)));
    }

    [Fact]
    public void A_kv_buffer_per_sequence_gives_the_samples_of_one_shared_buffer()
    {
        // Long enough that continuous batching replaces samples and the chunked prefill of the next prompt rides along.
        var options = new BestOfNOptions { Sampling = Hot with { MaxTokens = 96 }, N = 3 };
        var shared = Texts(Sample(parallel: 4, options, ctx: 4096));
        Assert.Equal(shared, Texts(Sample(parallel: 4, options, ctx: 5 * 512, kvPerSequence: true)));
        Assert.Equal(shared, Texts(Sample(parallel: 1, options, ctx: 2 * 512, kvPerSequence: true)));
    }

    [Fact]
    public void With_a_buffer_per_sequence_a_prompt_must_fit_its_own_sequence()
    {
        using var m = LoadedModel.Load(new ModelLoadOptions { Model = new(models.Mistral), Runtime = new() { Context = 512, Threads = 1 }, Sequences = 2, KvPerSequence = true });
        var sampler = new BestOfNSampler(m, new BestOfNOptions { Sampling = Hot, N = 1 });
        var error = sampler.CheckFits(new SampleRequest("long", Enumerable.Repeat(m.Vocab.Bos, 300).ToArray()));
        Assert.Equal("the prompt is 300 tokens but each sequence holds 256", error);
    }

    [Fact]
    public void The_same_run_twice_gives_the_same_samples()
    {
        var options = new BestOfNOptions { Sampling = Hot, N = 4 };
        Assert.Equal(Texts(Sample(parallel: 6, options)), Texts(Sample(parallel: 6, options)));
    }

    [Fact]
    public void More_samples_than_sequences_and_a_tight_context_still_give_the_same_samples()
    {
        // parallel 3 < N = 8: a prompt's samples start over several waves from the held prompt body. A 400-token
        // context fits only two samples next to the prompt, so the scheduler must wait for room.
        var options = new BestOfNOptions { Sampling = Hot, N = 8 };
        var reference = Texts(Sample(parallel: 8, options, prompts: 3));
        Assert.Equal(reference, Texts(Sample(parallel: 3, options, prompts: 3)));
        Assert.Equal(reference, Texts(Sample(parallel: 8, options, prompts: 3, ctx: 400)));
    }

    [Fact]
    public void Max_tokens_ends_a_sample_with_finish_reason_length()
    {
        var r = Sample(parallel: 4, new BestOfNOptions { Sampling = Hot with { MaxTokens = 5 }, N = 4, IgnoreEndOfGeneration = true });
        Assert.All(r.SelectMany(p => p.Samples), s =>
        {
            Assert.Equal(FinishReason.Length, s.FinishReason);
            Assert.Equal(5, s.Tokens);
        });
    }

    [Fact]
    public void A_stop_string_cuts_the_text_where_it_starts_and_ends_the_sample()
    {
        var free = Sample(parallel: 4, new BestOfNOptions { Sampling = Hot, N = 2, IgnoreEndOfGeneration = true }, prompts: 2);
        var first = free[0].Samples[0];
        string stop = first.Text.Substring(6, 3);
        int cut = first.Text.IndexOf(stop, StringComparison.Ordinal);
        var stopped = Sample(parallel: 4, new BestOfNOptions { Sampling = Hot, N = 2, IgnoreEndOfGeneration = true, Stops = [stop] }, prompts: 2);
        var s = stopped[0].Samples[0];
        Assert.Equal(first.Text[..cut], s.Text);
        Assert.Equal(FinishReason.Stop, s.FinishReason);
        Assert.True(s.Tokens < first.Tokens);
        Assert.DoesNotContain(stopped.SelectMany(p => p.Samples), x => x.Text.Contains(stop, StringComparison.Ordinal));
    }

    [Fact]
    public void A_sample_that_reaches_the_end_of_the_context_says_so()
    {
        using var m = LoadedModel.Load(new ModelLoadOptions { Model = new(models.Mistral), Runtime = new() { Context = 256, Threads = 1, FastAttention = true }, Sequences = 3 });
        var prompt = m.TokenizePrompt(string.Join(" ", Enumerable.Repeat("word", 400)))[..250];
        var results = new List<PromptSamples>();
        new BestOfNSampler(m, new BestOfNOptions { Sampling = Hot with { MaxTokens = 100 }, N = 2, IgnoreEndOfGeneration = true })
            .Run([new SampleRequest("long", prompt)], results.Add, null, default);
        Assert.All(results[0].Samples, s =>
        {
            Assert.Equal(FinishReason.ContextFull, s.FinishReason);
            Assert.Equal(m.ContextSize - prompt.Length + 1, s.Tokens);
        });
    }

    [Fact]
    public void A_prompt_longer_than_the_context_is_refused_by_name()
    {
        using var m = LoadedModel.Load(new ModelLoadOptions { Model = new(models.Mistral), Runtime = new() { Context = 256, Threads = 1, FastAttention = true }, Sequences = 2 });
        var prompt = m.TokenizePrompt(string.Join(" ", Enumerable.Repeat("word", 400)));
        var e = Assert.Throws<Settings.SettingException>(() =>
            new BestOfNSampler(m, new BestOfNOptions { Sampling = Hot }).Run([new SampleRequest("too-long", prompt)], _ => { }, null, default));
        Assert.Contains("too-long", e.Message);
        Assert.Equal("context", e.Problems[0].Key); // the command line names it --ctx, a recipe sampling.context
    }
}
