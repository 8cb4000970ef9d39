using Merlinite.Engine.Chat;

namespace Merlinite.Engine.Tests;

public class ChatTemplateTests
{
    [Fact]
    public void Renders_the_model_card_format_with_generation_prompt()
    {
        var text = MerliniteTemplate.Render([ChatMessage.System("S"), ChatMessage.User("hi")]);
        Assert.Equal("<|system|>\nS\n<|user|>\nhi\n<|assistant|>\n", text);
    }

    [Fact]
    public void Closes_assistant_turns_with_endoftext_and_separates_them_by_a_newline()
    {
        var text = MerliniteTemplate.Render(
            [ChatMessage.System("S"), ChatMessage.User("a"), ChatMessage.Assistant("b"), ChatMessage.User("c")]);
        Assert.Equal("<|system|>\nS\n<|user|>\na\n<|assistant|>\nb<|endoftext|>\n<|user|>\nc\n<|assistant|>\n", text);
    }

    [Fact]
    public void Without_generation_prompt_a_final_assistant_turn_ends_at_endoftext()
    {
        var text = MerliniteTemplate.Render([ChatMessage.User("q"), ChatMessage.Assistant("r")], addGenerationPrompt: false);
        Assert.Equal("<|user|>\nq\n<|assistant|>\nr<|endoftext|>", text);
    }

    [Fact]
    public void Default_system_prompt_is_the_model_cards()
    {
        Assert.StartsWith("You are an AI language model developed by IBM Research.", MerliniteTemplate.DefaultSystemPrompt);
        Assert.EndsWith("promote positive behavior.", MerliniteTemplate.DefaultSystemPrompt);
    }
}
