using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Tests.Jobs;

/// <summary>Each setting is checked once, in its settings record, by key; whoever shows the problem names the key.</summary>
public class SettingsTests
{
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
