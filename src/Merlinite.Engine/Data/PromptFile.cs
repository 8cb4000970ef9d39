using System.Text.Json;
using Merlinite.Engine.Chat;

namespace Merlinite.Engine.Data;

/// <summary>One prompt of a JSONL prompt file, already expanded into chat messages.</summary>
public sealed record PromptItem(string Id, IReadOnlyList<ChatMessage> Messages, string? Source);

/// <summary>A malformed line of an input file; the message starts with <c>file:line:</c>.</summary>
public sealed class InputFormatException(string message) : Exception(message);

/// <summary>
/// Reads prompt JSONL: <c>{"id", "prompt"}</c> (a user message; the system prompt is added),
/// <c>{"id", "messages": [{"role", "content"}]}</c> (a closing assistant turn, as in LAB SFT data, is dropped: it is
/// the answer, not the prompt) or LAB's older <c>{"system", "user", "assistant"}</c>; an optional <c>"source"</c> is
/// kept. A missing id becomes the line number, so every output line can be traced back.
/// </summary>
public static class PromptFile
{
    public static IReadOnlyList<PromptItem> Read(string path, string? systemPrompt) =>
        JsonLines.Read(path, (root, where, lineNo) =>
        {
            string id = JsonLines.Id(root, where, lineNo);
            string? source = root.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            if (root.TryGetProperty("messages", out var msgs))
            {
                var list = JsonLines.Messages(msgs, where);
                if (list.Count > 1 && list[^1].Role == ChatRole.Assistant) list.RemoveAt(list.Count - 1);
                return new PromptItem(id, list, source);
            }
            var messages = new List<ChatMessage>();
            bool lab = !root.TryGetProperty("prompt", out _) && root.TryGetProperty("user", out _);
            string? system = lab && root.TryGetProperty("system", out var sys) && sys.ValueKind == JsonValueKind.String ? sys.GetString() : systemPrompt;
            if (!string.IsNullOrEmpty(system)) messages.Add(ChatMessage.System(system));
            messages.Add(ChatMessage.User(JsonLines.String(root, lab ? "user" : "prompt", where)));
            return new PromptItem(id, messages, source);
        });
}
