using Merlinite.Engine.Chat;

namespace Merlinite.Engine.Tests;

/// <summary>"The model's own template" of a model whose template is Merlinite's is Merlinite's format, not GLM-Edge's.</summary>
[Collection("tiny models")]
public class PromptRendererTests(TinyModels models)
{
    private static readonly ChatMessage[] Conversation = [ChatMessage.System("S"), ChatMessage.User("hi")];

    [Fact]
    public void A_model_whose_own_template_is_merlinites_renders_exactly_as_merlinite()
    {
        using var m = models.Load(models.Mistral);
        Assert.True(MerliniteTemplate.Matches(m.Model.GetChatTemplate()!)); // the synthesized models carry Merlinite's Jinja template
        Assert.Equal(MerliniteTemplate.Render(Conversation), new PromptRenderer(m, ChatTemplate.Model).Render(Conversation));
        // Without the check llama.cpp takes the template for GLM-Edge and drops the newlines.
        var glm = Llama.LlamaChat.ApplyTemplate(m.Model.GetChatTemplate(), Conversation.Select(c => new Llama.LlamaChatMessage(c.Role.ToString().ToLowerInvariant(), c.Content)).ToList(), addAssistant: true);
        Assert.NotEqual(MerliniteTemplate.Render(Conversation), glm);
    }

    [Theory]
    [InlineData("{{ '<|system|>' }}{{ '<|user|>' }}{{ '<|assistant|>' }}{{ '<|endoftext|>' }}", true)]
    [InlineData("[gMASK]<sop><|system|><|user|><|assistant|><|endoftext|>", false)]
    [InlineData("<|system|><|user|><|assistant|><|end|><|endoftext|>", false)]
    [InlineData("{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}</s>", false)]
    public void Only_merlinites_format_is_taken_for_it(string jinja, bool merlinite) => Assert.Equal(merlinite, MerliniteTemplate.Matches(jinja));

    [Fact]
    public void Raw_is_the_texts_one_per_line_without_the_system_prompt()
    {
        using var m = models.Load(models.Mistral);
        Assert.Equal("hi\nthere", new PromptRenderer(m, ChatTemplate.Raw).Render([ChatMessage.System("S"), ChatMessage.User("hi"), ChatMessage.User("there")]));
    }
}
