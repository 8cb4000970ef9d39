using Merlinite.Engine.Chat;
using Merlinite.Engine.Generation;

namespace Merlinite.Engine.Tests;

[Collection("tiny models")]
public class GenerationTests(TinyModels models)
{
    private static readonly SamplingOptions Greedy = new() { Temperature = 0, MaxTokens = 16 };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Same_seed_gives_the_same_text_and_another_seed_usually_differs(bool mixtral)
    {
        using var m = models.Load(mixtral ? models.Mixtral : models.Mistral);
        var prompt = MerliniteTemplate.Render([ChatMessage.User("hello")]);
        var sampled = new SamplingOptions { Temperature = 1.0f, TopK = 0, TopP = 1, MinP = 0, MaxTokens = 24, Seed = 7 };
        var a = Completion.Run(m, prompt, sampled, default);
        var b = Completion.Run(m, prompt, sampled, default);
        Assert.Equal(a.Text, b.Text);
        var others = Enumerable.Range(100, 4).Select(s => Completion.Run(m, prompt, sampled with { Seed = (uint)s }, default).Text);
        Assert.Contains(others, t => t != a.Text);
    }

    [Fact]
    public void Max_tokens_is_honoured_and_reported()
    {
        using var m = models.Load(models.Mistral);
        var r = Completion.Run(m, MerliniteTemplate.Render([ChatMessage.User("count")]), Greedy with { MaxTokens = 5 }, default);
        Assert.Equal(FinishReason.Length, r.FinishReason);
        Assert.Equal(5, r.CompletionTokens);
    }

    [Fact]
    public void Reusing_the_kv_cache_across_turns_gives_the_same_reply_as_a_fresh_context()
    {
        using var m = models.Load(models.Mistral);
        var session = new ChatSession(m, "sys", Greedy);
        session.Reply("first", null, default);
        var second = session.Reply("second", null, default);

        // The same conversation rendered from scratch into an empty cache.
        var history = session.History.Take(session.History.Count - 1).ToList();
        var fresh = Completion.Run(m, MerliniteTemplate.Render(history), Greedy with { Seed = Greedy.Seed + 1 }, default);
        Assert.Equal(fresh.Text, second.Text);
    }

    [Fact]
    public void A_conversation_that_outgrows_the_context_drops_old_turns_and_says_so()
    {
        using var m = models.Load(models.Mistral, ctx: 256);
        var session = new ChatSession(m, "keep me", Greedy with { MaxTokens = 24 });
        var notices = new List<string>();
        session.Notice += notices.Add;
        for (int i = 0; i < 12; i++) session.Reply($"message number {i} with some padding words to use up the context", null, default);

        Assert.NotEmpty(notices);
        Assert.Contains("oldest", notices[0]);
        Assert.Equal("keep me", session.History[0].Content);
        Assert.DoesNotContain(session.History, h => h.Content.StartsWith("message number 0 "));
        Assert.Contains(session.History, h => h.Content.StartsWith("message number 11 "));
    }

    [Fact]
    public void A_prompt_longer_than_the_context_is_a_clear_error()
    {
        using var m = models.Load(models.Mistral, ctx: 64);
        var session = new ChatSession(m, null, Greedy);
        var ex = Assert.Throws<ContextOverflowException>(() => session.Reply(string.Join(' ', Enumerable.Repeat("word", 2000)), null, default));
        Assert.Contains("context", ex.Message);
    }

    [Fact]
    public void Lora_adapter_file_that_does_not_exist_is_reported_with_its_path()
    {
        var ex = Assert.Throws<Settings.SettingException>(() => Models.LoadedModel.Load(new Models.ModelLoadOptions
        {
            Model = new(models.Mistral) { Loras = [new Models.LoraSpec("/nonexistent/adapter.gguf", 1)] },
        }));
        Assert.Contains("/nonexistent/adapter.gguf", ex.Message);
    }
}
