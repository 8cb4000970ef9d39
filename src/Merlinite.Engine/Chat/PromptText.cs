namespace Merlinite.Engine.Chat;

/// <summary>How a prompt's messages become the text a generating command feeds the model.</summary>
public static class PromptText
{
    /// <param name="raw">The user/assistant texts as they are, one per line (no template, no system prompt).</param>
    public static string Render(IReadOnlyList<ChatMessage> messages, bool raw) =>
        raw ? string.Join("\n", messages.Where(m => m.Role != ChatRole.System).Select(m => m.Content))
            : MerliniteTemplate.Render(messages);
}
