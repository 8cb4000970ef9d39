using System.Text;

namespace Merlinite.Engine.Chat;

/// <summary>
/// Merlinite-7B's chat format (model card): <c>&lt;|system|&gt;\n{sys}\n&lt;|user|&gt;\n{msg}\n&lt;|assistant|&gt;\n</c>,
/// each assistant turn closed by <c>&lt;|endoftext|&gt;</c>. Rendered here rather than through
/// llama_chat_apply_template because llama.cpp has no built-in template for it.
/// </summary>
public static class MerliniteTemplate
{
    public const string SystemTag = "<|system|>";
    public const string UserTag = "<|user|>";
    public const string AssistantTag = "<|assistant|>";
    public const string EndOfText = "<|endoftext|>";

    public const string DefaultSystemPrompt =
        "You are an AI language model developed by IBM Research. You are a cautious assistant. " +
        "You carefully follow instructions. You are helpful and harmless and you follow ethical guidelines " +
        "and promote positive behavior.";

    /// <summary>
    /// Whether a model's own (Jinja) chat template is Merlinite's format: its three role tags and &lt;|endoftext|&gt;,
    /// and none of the markers of the formats that share those tags (ChatGLM's [gMASK], Phi-3's &lt;|end|&gt;,
    /// Falcon 3's &lt;/s&gt;). llama.cpp's template detection takes such a template for GLM-Edge and drops its
    /// newlines, so "the model's template" of a Merlinite model is rendered here instead.
    /// </summary>
    public static bool Matches(string jinja) =>
        jinja.Contains(SystemTag, StringComparison.Ordinal) && jinja.Contains(UserTag, StringComparison.Ordinal)
        && jinja.Contains(AssistantTag, StringComparison.Ordinal) && jinja.Contains(EndOfText, StringComparison.Ordinal)
        && !jinja.Contains("[gMASK]", StringComparison.Ordinal) && !jinja.Contains("<|end|>", StringComparison.Ordinal)
        && !jinja.Contains("</s>", StringComparison.Ordinal);

    /// <param name="addGenerationPrompt">End with the assistant tag so the model writes the next reply.</param>
    public static string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            switch (m.Role)
            {
                case ChatRole.System: sb.Append(SystemTag).Append('\n').Append(m.Content).Append('\n'); break;
                case ChatRole.User: sb.Append(UserTag).Append('\n').Append(m.Content).Append('\n'); break;
                case ChatRole.Assistant:
                    sb.Append(AssistantTag).Append('\n').Append(m.Content).Append(EndOfText);
                    // The HF template separates a closed assistant turn from the next one by a newline.
                    if (i < messages.Count - 1) sb.Append('\n');
                    break;
            }
        }
        if (addGenerationPrompt) sb.Append(AssistantTag).Append('\n');
        return sb.ToString();
    }
}
