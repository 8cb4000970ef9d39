using Merlinite.Engine.Models;
using Merlinite.Llama;

namespace Merlinite.Engine.Chat;

/// <summary>How a conversation becomes the text a model reads: one setting ("template") for every command.</summary>
public enum ChatTemplate
{
    /// <summary>Merlinite's format (<see cref="MerliniteTemplate"/>).</summary>
    Merlinite,
    /// <summary>The model's own template from its GGUF (tokenizer.chat_template) through llama_chat_apply_template,
    /// e.g. Mixtral's [INST] form.</summary>
    Model,
    /// <summary>The user and assistant texts as they are, one per line; no system prompt.</summary>
    Raw,
}

public static class ChatTemplates
{
    public static string Name(this ChatTemplate t) => t.ToString().ToLowerInvariant();

    public static ChatTemplate Parse(string text) => text switch
    {
        "merlinite" => ChatTemplate.Merlinite,
        "model" => ChatTemplate.Model,
        "raw" => ChatTemplate.Raw,
        _ => throw new FormatException($"'{text}' is not a template (merlinite, model or raw)"),
    };

    /// <summary>
    /// The system prompt a plain "prompt" line gets: <paramref name="given"/> when set ("" = none), else the Merlinite
    /// model card's for Merlinite's template and none for the others (a model's own template and raw text carry no
    /// Merlinite system prompt; RewardBench scores conversations without one).
    /// </summary>
    public static string? SystemPrompt(this ChatTemplate t, string? given) =>
        given ?? (t == ChatTemplate.Merlinite ? MerliniteTemplate.DefaultSystemPrompt : null);
}

/// <summary>Renders prompt messages for one loaded model in one template, ending where the assistant's reply starts.</summary>
public sealed class PromptRenderer
{
    private readonly ChatTemplate _template;
    private readonly string? _modelTemplate;

    public PromptRenderer(LoadedModel model, ChatTemplate template)
    {
        _modelTemplate = template == ChatTemplate.Model
            ? model.Model.GetChatTemplate() ?? throw new Settings.SettingException("template",
                $"{model.Options.Path} has no chat template of its own (tokenizer.chat_template); use template merlinite or raw")
            : null;
        _template = _modelTemplate is not null && MerliniteTemplate.Matches(_modelTemplate) ? ChatTemplate.Merlinite : template;
    }

    public string Render(IReadOnlyList<ChatMessage> messages) => _template switch
    {
        ChatTemplate.Merlinite => MerliniteTemplate.Render(messages),
        ChatTemplate.Model => LlamaChat.ApplyTemplate(_modelTemplate,
            messages.Select(m => new LlamaChatMessage(m.Role.ToString().ToLowerInvariant(), m.Content)).ToList(), addAssistant: true),
        _ => string.Join("\n", messages.Where(m => m.Role != ChatRole.System).Select(m => m.Content)),
    };
}
