using System.Globalization;
using System.Text.Json;
using Merlinite.Engine.Chat;

namespace Merlinite.Engine.Data;

/// <summary>Shared JSONL reading: one object per line, blank lines skipped, unique ids, errors as "file:line: ...".</summary>
public static class JsonLines
{
    public static IReadOnlyList<T> Read<T>(string path, Func<JsonElement, string, int, T> parse)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"input file not found: {Path.GetFullPath(path)}", path);
        var items = new List<T>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string where = $"{path}:{lineNo}";
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { throw new InputFormatException($"{where}: not valid JSON ({e.Message})"); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InputFormatException($"{where}: expected a JSON object");
                var item = parse(doc.RootElement, where, lineNo);
                if (doc.RootElement.TryGetProperty("id", out _) && !ids.Add(Id(doc.RootElement, where, lineNo)))
                    throw new InputFormatException($"{where}: duplicate id '{Id(doc.RootElement, where, lineNo)}'");
                items.Add(item);
            }
        }
        if (items.Count == 0) throw new InputFormatException($"{path}: no items (the file is empty)");
        return items;
    }

    /// <summary>The "id" (string or number); a missing id becomes the line number.</summary>
    public static string Id(JsonElement root, string where, int lineNo) =>
        !root.TryGetProperty("id", out var id) ? lineNo.ToString(CultureInfo.InvariantCulture)
        : id.ValueKind switch
        {
            JsonValueKind.String => id.GetString()!,
            JsonValueKind.Number => id.GetRawText(),
            _ => throw new InputFormatException($"{where}: \"id\" must be a string or a number"),
        };

    public static string String(JsonElement root, string name, string where) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new InputFormatException($"{where}: expected a string \"{name}\"");

    public static List<ChatMessage> Messages(JsonElement msgs, string where)
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
