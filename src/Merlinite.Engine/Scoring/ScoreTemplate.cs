using Merlinite.Engine.Chat;
using Merlinite.Engine.Models;
using Merlinite.Llama;

namespace Merlinite.Engine.Scoring;

public enum ScoreTemplateKind
{
    /// <summary>Merlinite's chat template (<see cref="MerliniteTemplate"/>).</summary>
    Merlinite,
    /// <summary>The model's own template from its GGUF, through llama_chat_apply_template (e.g. Mixtral's [INST]).</summary>
    Model,
    /// <summary>Prompt and response texts as they are, concatenated.</summary>
    Raw,
}

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
public sealed class ScoreTemplate(LoadedModel model, ScoreTemplateKind kind, bool appendEos)
{
    private readonly string? _modelTemplate = kind == ScoreTemplateKind.Model
        ? model.Model.GetChatTemplate() ?? throw new ArgumentException($"{model.Options.Path} has no chat template (tokenizer.chat_template); use --template merlinite or raw")
        : null;

    public string RenderPrompt(IReadOnlyList<ChatMessage> messages) => kind switch
    {
        ScoreTemplateKind.Merlinite => MerliniteTemplate.Render(messages),
        ScoreTemplateKind.Model => LlamaChat.ApplyTemplate(_modelTemplate,
            messages.Select(m => new LlamaChatMessage(m.Role.ToString().ToLowerInvariant(), m.Content)).ToList(), addAssistant: true),
        _ => string.Concat(messages.Where(m => m.Role != ChatRole.Assistant).Select(m => m.Content)),
    };

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
