using Merlinite.Engine.Chat;
using Merlinite.Engine.Models;

namespace Merlinite.Engine.Scoring;

/// <summary>
/// Turns a (prompt, response) text pair into token ids for the <see cref="Scorer"/>.
/// <para>The boundary rule: tokenize the rendered prompt alone and the rendered prompt + response as one text (BOS
/// added, special tokens parsed). The scored tokens are those of the full tokenization past its longest common prefix
/// with the prompt's tokenization. Usually that prefix is the whole prompt; when the tokenizer merges the prompt's last
/// characters with the response's first ones into one token, the merged token is scored as part of the response, so
/// every response character is covered exactly once and both models of a reward see identical token ids.</para>
/// <para>With <c>appendEos</c> the model's end-of-generation token follows the response (as Merlinite ends turns with
/// &lt;|endoftext|&gt;, and as RewardBench appends EOS), so the reward also judges where the answer stops.</para>
/// </summary>
public sealed class ScoreTemplate(LoadedModel model, ChatTemplate template, bool appendEos)
{
    private readonly PromptRenderer _renderer = new(model, template);

    public string RenderPrompt(IReadOnlyList<ChatMessage> messages) => _renderer.Render(messages);

    public ScoreItem Build(string id, IReadOnlyList<ChatMessage> promptMessages, string response)
    {
        string prompt = RenderPrompt(promptMessages);
        var promptTokens = model.TokenizePrompt(prompt);
        var fullTokens = model.TokenizePrompt(prompt + response);
        int common = 0;
        while (common < promptTokens.Length && common < fullTokens.Length && promptTokens[common] == fullTokens[common]) common++;
        var responseTokens = fullTokens.AsSpan(common).ToArray();
        if (appendEos) responseTokens = [.. responseTokens, model.Vocab.Eos];
        return new ScoreItem(id, fullTokens[..common], responseTokens);
    }
}
