using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Sampling;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Tests.Jobs;

/// <summary>Each setting is checked once, in its settings record, by key; whoever shows the problem names the key.</summary>
public class SettingsTests
{
    [Theory]
    [InlineData(256, 16, 8192, 100, false)]   // 17 sequences x 512 cells do not fit 8192
    [InlineData(256, 16, 17 * 512, 100, true)]
    [InlineData(64, 16, 65536, 100, false)]   // 16 x 64 cells: one shared buffer was as fast
    [InlineData(64, 32, 65536, 100, true)]    // 32 x 64: a buffer per sequence was faster
    [InlineData(256, 16, 0, 100, false)]      // the model's own context: size unknown here, share it
    [InlineData(256, 8, 9 * 512, 300, false)] // the longest prompt leaves no room for a full answer
    [InlineData(256, 8, 9 * 512, 200, true)]
    public void Sampling_takes_a_kv_buffer_per_sequence_only_for_many_long_answers_that_fit(int maxTokens, int parallel, int context, int longestPrompt, bool expected)
    {
        var settings = new SampleSettings { Parallel = parallel, Sampling = new() { MaxTokens = maxTokens }, Runtime = new() { Context = context } };
        var load = settings.LoadOptions(new ModelSpec("m.gguf"), [new SampleRequest("a", new int[10]), new SampleRequest("b", new int[longestPrompt])]);
        Assert.Equal(expected, load.KvPerSequence);
        Assert.Equal(parallel + 1, load.Sequences);
    }

    [Theory]
    [InlineData(8192, 16, 400, 16, 8192)]   // 512 cells per item: all 16 sequences fit
    [InlineData(8192, 16, 600, 10, 8192)]   // 768 per item: 10 sequences
    [InlineData(1000, 16, 2000, 1, 1000)]   // longer than the context: one sequence (the item gets its own error)
    [InlineData(0, 8, 300, 8, 8 * 512)]     // the model's own context becomes room for the longest item in each
    public void Scoring_fits_as_many_sequences_as_the_longest_item_allows(int context, int parallel, int longest, int sequences, int expectedContext)
    {
        var settings = new ScoringSettings { Parallel = parallel, Runtime = new() { Context = context } };
        var load = settings.LoadOptions(new ModelSpec("m.gguf"), [new ScoreItem("a", new int[longest - 10], new int[11])]);
        Assert.True(load.KvPerSequence);
        Assert.Equal(sequences, load.Sequences);
        Assert.Equal(expectedContext, load.Runtime.Context);
    }

    [Fact]
    public void A_context_that_cannot_hold_the_parallel_sequences_is_refused_before_llama_cpp_can_assert()
    {
        var problems = new SampleSettings { Parallel = 16, Runtime = new() { Context = 16 } }.Problems().OfType<SettingProblem>().ToList();
        var p = Assert.Single(problems);
        Assert.Equal("context", p.Key);
        Assert.Equal("the context (16 tokens) must hold at least --parallel + 1 = 17 tokens, one per sequence", p.Render(k => "--" + k));
        Assert.Empty(new SampleSettings { Parallel = 16, Runtime = new() { Context = 0 } }.Problems().OfType<SettingProblem>());
        Assert.Contains(new ScoringSettings { Parallel = 32, Batch = 16 }.Problems().OfType<SettingProblem>(), q => q.Key == "batch");
    }

    [Theory]
    [InlineData("lr", 0.0)]
    [InlineData("lr", -1.0)]
    [InlineData("epochs", 0.0)]
    [InlineData("rank", 0.0)]
    [InlineData("alpha", 0.0)]
    [InlineData("dropout", 1.0)]
    public void Training_values_that_cannot_work_are_refused_by_key(string key, double value)
    {
        var s = key switch
        {
            "lr" => new TrainSettings { Lr = value },
            "epochs" => new TrainSettings { Epochs = (int)value },
            "rank" => new TrainSettings { Rank = (int)value },
            "alpha" => new TrainSettings { Alpha = (float)value },
            _ => new TrainSettings { Dropout = (float)value },
        };
        Assert.Equal(key, Assert.Single(s.Problems().OfType<SettingProblem>()).Key);
        Assert.Empty(new TrainSettings().Problems().OfType<SettingProblem>());
        Assert.Contains(new TrainSettings { Targets = ["attn_q", "attn_x"] }.Problems().OfType<SettingProblem>(), p => p.Message.Contains("'attn_x'"));
    }

    [Fact]
    public void A_lora_scale_that_is_not_a_number_is_blamed_not_the_file()
    {
        string adapter = Path.Combine(Path.GetTempPath(), $"a-{Guid.NewGuid():N}.gguf");
        File.WriteAllText(adapter, "");
        try
        {
            Assert.Equal(new LoraSpec(adapter, 0.5f), LoraSpec.Parse(adapter + ":0.5"));
            Assert.Equal(new LoraSpec(adapter, 1f), LoraSpec.Parse(adapter));
            var e = Assert.Throws<SettingException>(() => LoraSpec.Parse(adapter + ":abc"));
            Assert.Equal("lora", e.Problems[0].Key);
            Assert.Contains("'abc' is not a scale", e.Message);
            Assert.Equal("/no/such:dir/a.gguf", LoraSpec.Parse("/no/such:dir/a.gguf").Path); // a colon inside a path is a path
        }
        finally { File.Delete(adapter); }
    }
}
