using Merlinite.Engine.Chat;

namespace Merlinite.Engine.Tests;

[Collection("tiny models")]
public class TokenizerTests(TinyModels models)
{
    [Theory]
    [InlineData("Hello world")]
    [InlineData("reverse the list: 3 1 2")]
    [InlineData("  leading spaces, tabs\tand\nnewlines  ")]
    [InlineData("unicode: héllo wörld — 日本語 🙂")]
    [InlineData("digits 0123456789 and symbols !@#$%^&*()")]
    public void Text_survives_a_tokenize_detokenize_round_trip_through_llama_cpp(string text)
    {
        using var m = models.Load(models.Mistral);
        var tokens = m.Vocab.Tokenize(text, addSpecial: false, parseSpecial: false);
        Assert.NotEmpty(tokens);
        Assert.Equal(text, m.Vocab.Detokenize(tokens));
    }

    [Fact]
    public void Byte_fallback_covers_characters_outside_the_vocabulary()
    {
        using var m = models.Load(models.Mistral);
        var tokens = m.Vocab.Tokenize("日", addSpecial: false, parseSpecial: false);
        // 日 is three UTF-8 bytes and not a piece of the synthesized vocabulary: one <0xXX> token per byte.
        Assert.Equal(["<0xE6>", "<0x97>", "<0xA5>"], tokens.Select(m.Vocab.GetText).TakeLast(3));
    }

    [Fact]
    public void Merlinite_special_tokens_are_single_tokens_and_endoftext_ends_generation()
    {
        using var m = models.Load(models.Mistral);
        foreach (var special in new[] { MerliniteTemplate.SystemTag, MerliniteTemplate.UserTag, MerliniteTemplate.AssistantTag, MerliniteTemplate.EndOfText })
        {
            var ids = m.Vocab.Tokenize(special, addSpecial: false, parseSpecial: true);
            Assert.Single(ids);
            Assert.Equal(special, m.Vocab.GetText(ids[0]));
        }
        int eot = m.Vocab.Tokenize(MerliniteTemplate.EndOfText, false, true)[0];
        Assert.True(m.Vocab.IsEog(eot));
        int user = m.Vocab.Tokenize(MerliniteTemplate.UserTag, false, true)[0];
        Assert.False(m.Vocab.IsEog(user));
    }

    [Fact]
    public void A_rendered_prompt_starts_with_bos_and_keeps_the_template_tags_as_tokens()
    {
        using var m = models.Load(models.Mistral);
        var ids = m.TokenizePrompt(MerliniteTemplate.Render([ChatMessage.System("be brief"), ChatMessage.User("hi")]));
        Assert.Equal("<s>", m.Vocab.GetText(ids[0]));
        Assert.Equal("<|system|>", m.Vocab.GetText(ids[1]));
        // llama.cpp's SPM tokenizer prefixes a space to text that follows a special token (add_space_prefix),
        // so the prompt ends "<|assistant|>", "▁", "<0x0A>"; scoring relies on this rule.
        Assert.Equal(["<|assistant|>", "▁", "<0x0A>"], ids.TakeLast(3).Select(m.Vocab.GetText));
    }
}
