using System.Text;
using System.Text.Json;
using Merlinite.Engine.Chat;

namespace Merlinite.Engine.Data;

/// <summary>One prompt of a JSONL prompt file, already expanded into chat messages; <see cref="Answer"/> is an optional
/// reference answer for exact-match checkers.</summary>
public sealed record PromptItem(string Id, IReadOnlyList<ChatMessage> Messages, string? Source, string? Answer = null);

/// <summary>A malformed input file or line; the message starts with <c>file:line:</c> where there is one.</summary>
public sealed class InputFormatException(string message) : Exception(message);

/// <summary>
/// Reads and writes prompt JSONL. Read: <c>{"id", "prompt"}</c> (a user message; the system prompt is added),
/// <c>{"id", "messages": [{"role", "content"}]}</c> (a closing assistant turn, as in LAB SFT data, is dropped: it is
/// the answer, not the prompt) or LAB's older <c>{"system", "user", "assistant"}</c>; optional <c>"source"</c> and
/// <c>"answer"</c> are kept. A missing id becomes the line number, so every output line can be traced back.
/// Write: <c>{"id", "source"?, "messages", "answer"?}</c>, which reads back as the same items.
/// </summary>
public static class PromptFile
{
    public static IReadOnlyList<PromptItem> Read(string path, string? systemPrompt) =>
        JsonLines.Read(path, (root, where, lineNo) =>
        {
            string id = JsonLines.Id(root, where, lineNo);
            string? source = JsonLines.OptionalString(root, "source"), answer = JsonLines.OptionalString(root, "answer");
            if (root.TryGetProperty("messages", out var msgs))
            {
                var list = JsonLines.Messages(msgs, where);
                if (list.Count > 1 && list[^1].Role == ChatRole.Assistant) list.RemoveAt(list.Count - 1);
                return new PromptItem(id, list, source, answer);
            }
            var messages = new List<ChatMessage>();
            bool lab = !root.TryGetProperty("prompt", out _) && root.TryGetProperty("user", out _);
            string? system = lab ? JsonLines.OptionalString(root, "system") : systemPrompt;
            if (!string.IsNullOrEmpty(system)) messages.Add(ChatMessage.System(system));
            messages.Add(ChatMessage.User(JsonLines.String(root, lab ? "user" : "prompt", where)));
            return new PromptItem(id, messages, source, answer);
        });

    public static string Format(PromptItem item)
    {
        return JsonLines.Format(w =>
        {
            w.WriteString("id", item.Id);
            if (item.Source is not null) w.WriteString("source", item.Source);
            WriteMessages(w, item.Messages);
            if (item.Answer is not null) w.WriteString("answer", item.Answer);
        });
    }

    /// <summary>Writes <c>"messages": [{"role", "content"}]</c>: the layout every file of the tool uses for a conversation.</summary>
    public static void WriteMessages(Utf8JsonWriter w, IEnumerable<ChatMessage> messages)
    {
        w.WriteStartArray("messages");
        foreach (var m in messages)
        {
            w.WriteStartObject();
            w.WriteString("role", m.Role.ToString().ToLowerInvariant());
            w.WriteString("content", m.Content);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
