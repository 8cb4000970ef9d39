using System.Text.Json;
using Merlinite.Engine.Chat;

namespace Merlinite.Engine.Data;

/// <summary>One prompt of a JSONL prompt file, already expanded into chat messages.</summary>
public sealed record PromptItem(string Id, IReadOnlyList<ChatMessage> Messages, string? Source);

/// <summary>A malformed line of an input file; the message starts with <c>file:line:</c>.</summary>
public sealed class InputFormatException(string message) : Exception(message);

/// <summary>
/// Reads prompt JSONL: <c>{"id", "prompt"}</c> (a user message; the system prompt is added) or
/// <c>{"id", "messages": [{"role", "content"}]}</c>; an optional <c>"source"</c> is kept. Blank lines are skipped.
/// A missing id becomes the line number, so every output line can be traced back.
/// </summary>
public static class PromptFile
{
    public static IReadOnlyList<PromptItem> Read(string path, string? systemPrompt)
    {
        var items = new List<PromptItem>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string where = $"{path}:{lineNo}";
            var item = ParseLine(line, where, lineNo, systemPrompt);
            if (!ids.Add(item.Id)) throw new InputFormatException($"{where}: duplicate id '{item.Id}'");
            items.Add(item);
        }
        if (items.Count == 0) throw new InputFormatException($"{path}: no prompts (the file is empty)");
        return items;
    }

    private static PromptItem ParseLine(string line, string where, int lineNo, string? systemPrompt)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(line); }
        catch (JsonException e) { throw new InputFormatException($"{where}: not valid JSON ({e.Message})"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InputFormatException($"{where}: expected a JSON object");
            string id = root.TryGetProperty("id", out var idEl)
                ? idEl.ValueKind switch
                {
                    JsonValueKind.String => idEl.GetString()!,
                    JsonValueKind.Number => idEl.GetRawText(),
                    _ => throw new InputFormatException($"{where}: \"id\" must be a string or a number"),
                }
                : lineNo.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string? source = root.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;

            if (root.TryGetProperty("messages", out var msgs))
                return new PromptItem(id, ReadMessages(msgs, where), source);
            if (root.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String)
            {
                var messages = new List<ChatMessage>();
                if (!string.IsNullOrEmpty(systemPrompt)) messages.Add(ChatMessage.System(systemPrompt));
                messages.Add(ChatMessage.User(p.GetString()!));
                return new PromptItem(id, messages, source);
            }
            throw new InputFormatException($"{where}: expected a string \"prompt\" or a \"messages\" array");
        }
    }

    private static List<ChatMessage> ReadMessages(JsonElement msgs, string where)
    {
        if (msgs.ValueKind != JsonValueKind.Array || msgs.GetArrayLength() == 0)
            throw new InputFormatException($"{where}: \"messages\" must be a non-empty array");
        var list = new List<ChatMessage>();
        int i = 0;
        foreach (var m in msgs.EnumerateArray())
        {
            if (m.ValueKind != JsonValueKind.Object
                || !m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String
                || !m.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                throw new InputFormatException($"{where}: messages[{i}] needs string \"role\" and \"content\"");
            try { list.Add(new ChatMessage(ChatMessage.ParseRole(role.GetString()!), content.GetString()!)); }
            catch (FormatException e) { throw new InputFormatException($"{where}: messages[{i}]: {e.Message}"); }
            i++;
        }
        return list;
    }
}
