using Merlinite.Engine.Chat;

namespace Merlinite.Engine.Tests;

public class ChatHistoryTests
{
    // One "token" per character keeps the arithmetic visible.
    private static int Chars(IReadOnlyList<ChatMessage> m) => MerliniteTemplate.Render(m).Length;

    private static ChatHistory ThreeTurns()
    {
        var h = new ChatHistory("SYS");
        h.Add(ChatMessage.User("first question")); h.Add(ChatMessage.Assistant("first answer"));
        h.Add(ChatMessage.User("second question")); h.Add(ChatMessage.Assistant("second answer"));
        h.Add(ChatMessage.User("third"));
        return h;
    }

    [Fact]
    public void Nothing_is_dropped_when_it_fits()
    {
        var h = ThreeTurns();
        Assert.Equal(0, h.FitTo(10_000, Chars));
        Assert.Equal(6, h.Messages.Count);
    }

    [Fact]
    public void Oldest_turns_go_first_and_the_system_prompt_stays()
    {
        var h = ThreeTurns();
        int budget = Chars(ThreeTurns().Messages) - 1;
        int dropped = h.FitTo(budget, Chars);
        Assert.Equal(2, dropped);
        Assert.Equal(ChatRole.System, h.Messages[0].Role);
        Assert.Equal("second question", h.Messages[1].Content);
        Assert.True(Chars(h.Messages) <= budget);
    }

    [Fact]
    public void Drops_as_many_turns_as_needed_but_keeps_the_newest_user_message()
    {
        var h = ThreeTurns();
        int dropped = h.FitTo(Chars([ChatMessage.System("SYS"), ChatMessage.User("third")]), Chars);
        Assert.Equal(4, dropped);
        Assert.Equal(["SYS", "third"], h.Messages.Select(m => m.Content));
    }

    [Fact]
    public void A_single_message_larger_than_the_context_is_a_clear_error()
    {
        var h = new ChatHistory("SYS");
        h.Add(ChatMessage.User(new string('x', 500)));
        var ex = Assert.Throws<ContextOverflowException>(() => h.FitTo(100, Chars));
        Assert.Contains("only 100 fit", ex.Message);
    }
}
