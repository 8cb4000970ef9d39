using System.Text.Json;
using Merlinite.Engine.Chat;

namespace Merlinite.Engine.Data;

/// <summary>One prompt of a JSONL prompt file, already expanded into chat messages.</summary>
public sealed record PromptItem(string Id, IReadOnlyList<ChatMessage> Messages, string? Source);

/// <summary>A malformed line of an input file; the message starts with <c>file:line:</c>.</summary>
public sealed class InputFormatException(string message) : Exception(message);

/// <summary>
/// Reads prompt JSONL: <c>{"id", "prompt"}</c> (a user message; the system prompt is added) or
/// <c>{"id", "messages": [{"role", "content"}]}</c>; an optional <c>"source"</c> is kept. A missing id becomes the
/// line number, so every output line can be traced back.
/// </summary>
public static class PromptFile
{
    public static IReadOnlyList<PromptItem> Read(string path, string? systemPrompt) =>
        JsonLines.Read(path, (root, where, lineNo) =>
        {
            string id = JsonLines.Id(root, where, lineNo);
            string? source = root.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            if (root.TryGetProperty("messages", out var msgs)) return new PromptItem(id, JsonLines.Messages(msgs, where), source);
            var messages = new List<ChatMessage>();
            if (!string.IsNullOrEmpty(systemPrompt)) messages.Add(ChatMessage.System(systemPrompt));
            messages.Add(ChatMessage.User(JsonLines.String(root, "prompt", where)));
            return new PromptItem(id, messages, source);
        });
}
