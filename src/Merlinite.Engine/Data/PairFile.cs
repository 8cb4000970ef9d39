using System.Text.Json;
using Merlinite.Engine.Chat;

namespace Merlinite.Engine.Data;

/// <summary>A prompt (as chat messages) and one response to score.</summary>
public sealed record ScorePair(string Id, IReadOnlyList<ChatMessage> Prompt, string Response);

/// <summary>A preference pair for reward evaluation.</summary>
public sealed record PreferencePair(string Id, IReadOnlyList<ChatMessage> Prompt, string Chosen, string Rejected, string Subset);

/// <summary>
/// Reads pair JSONL. Score pairs: <c>{"id", "prompt", "response"}</c> or <c>{"id", "messages"}</c> whose last message is the
/// assistant's response. Preference pairs: <c>{"prompt", "chosen", "rejected", "subset"?}</c>. Errors name file:line.
/// </summary>
public static class PairFile
{
    public static IReadOnlyList<ScorePair> ReadScorePairs(string path, string? systemPrompt) =>
        JsonLines.Read(path, (root, where, lineNo) =>
        {
            string id = JsonLines.Id(root, where, lineNo);
            if (root.TryGetProperty("messages", out var msgs))
            {
                var messages = JsonLines.Messages(msgs, where);
                if (messages[^1].Role != ChatRole.Assistant)
                    throw new InputFormatException($"{where}: the last message must be the assistant's response to score");
                return new ScorePair(id, messages.Take(messages.Count - 1).ToList(), messages[^1].Content);
            }
            return new ScorePair(id, UserPrompt(JsonLines.String(root, "prompt", where), systemPrompt), JsonLines.String(root, "response", where));
        });

    public static IReadOnlyList<PreferencePair> ReadPreferencePairs(string path, string? systemPrompt) =>
        JsonLines.Read(path, (root, where, lineNo) => new PreferencePair(
            JsonLines.Id(root, where, lineNo),
            UserPrompt(JsonLines.String(root, "prompt", where), systemPrompt),
            JsonLines.String(root, "chosen", where),
            JsonLines.String(root, "rejected", where),
            root.TryGetProperty("subset", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "all"));

    private static List<ChatMessage> UserPrompt(string prompt, string? systemPrompt)
    {
        var messages = new List<ChatMessage>();
        if (!string.IsNullOrEmpty(systemPrompt)) messages.Add(ChatMessage.System(systemPrompt));
        messages.Add(ChatMessage.User(prompt));
        return messages;
    }
}
