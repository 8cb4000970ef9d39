using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Merlinite.Engine.Chat;

namespace Merlinite.Engine.Data;

/// <summary>
/// Shared JSONL reading: one object per line, blank lines skipped, strict UTF-8, unique ids, and every error as
/// "file:line: ...". Invalid UTF-8 is refused with its byte offset rather than replaced by U+FFFD, because a silently
/// changed text would be scored or trained as if it were the user's.
/// </summary>
public static class JsonLines
{
    /// <param name="allowEmpty">for files this program wrote (a shard with no items writes a complete, empty
    /// output); an input file without items is refused.</param>
    public static IReadOnlyList<T> Read<T>(string path, Func<JsonElement, string, int, T> parse, bool allowEmpty = false)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new InputFormatException($"{full}: is a folder, not a JSONL file");
        if (!File.Exists(full)) throw new FileNotFoundException($"input file not found: {full}", full);
        byte[] bytes = File.ReadAllBytes(full);
        var items = new List<T>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int lineNo = 0, start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        while (start <= bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) end = bytes.Length;
            lineNo++;
            var line = bytes.AsMemory(start, end - start);
            if (line.Span.EndsWith("\r"u8)) line = line[..^1];
            string where = $"{full}:{lineNo}";
            if (!IsBlank(line.Span))
            {
                if (FirstInvalidUtf8(line.Span) is int bad)
                    throw new InputFormatException($"{where}: not valid UTF-8 at byte {start + bad} of the file (column {bad + 1} of the line); save the file as UTF-8");
                JsonDocument doc;
                try { doc = JsonDocument.Parse(line); }
                catch (JsonException e) { throw new InputFormatException($"{where}: not valid JSON ({e.Message})"); }
                using (doc)
                {
                    var root = doc.RootElement;
                    if (root.ValueKind != JsonValueKind.Object) throw new InputFormatException($"{where}: expected a JSON object, one per line");
                    string id = Id(root, where, lineNo);
                    if (ids.TryGetValue(id, out int first))
                        throw new InputFormatException($"{where}: id '{id}' is also the id of line {first}" +
                            (!root.TryGetProperty("id", out _) || !HasId(bytes, first) ? " (a line without \"id\" is known by its line number)" : "") +
                            "; every line needs its own id");
                    ids[id] = lineNo;
                    items.Add(parse(root, where, lineNo));
                }
            }
            start = end + 1;
        }
        if (items.Count == 0 && !allowEmpty) throw new InputFormatException($"{full}: no items (the file is empty)");
        return items;
    }

    /// <summary>One JSON object as a line of text (no newline), written by <paramref name="write"/>.</summary>
    public static string Format(Action<Utf8JsonWriter> write, bool indented = false)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, indented ? JsonStyle.IndentedWriter : JsonStyle.Line))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    /// <summary>The "id" (string or number); a missing id becomes the line number.</summary>
    public static string Id(JsonElement root, string where, int lineNo) =>
        !root.TryGetProperty("id", out var id) ? lineNo.ToString(CultureInfo.InvariantCulture)
        : id.ValueKind switch
        {
            JsonValueKind.String when id.GetString()!.Length > 0 => id.GetString()!,
            JsonValueKind.Number => id.GetRawText(),
            _ => throw new InputFormatException($"{where}: \"id\" must be a non-empty string or a number"),
        };

    public static string String(JsonElement root, string name, string where) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new InputFormatException($"{where}: expected a string \"{name}\"");

    public static string? OptionalString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

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

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (byte b in line) if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }

    /// <summary>Offset of the first byte that is not valid UTF-8, or null.</summary>
    private static int? FirstInvalidUtf8(ReadOnlySpan<byte> line)
    {
        if (System.Text.Unicode.Utf8.IsValid(line)) return null;
        int offset = 0;
        while (offset < line.Length)
        {
            if (Rune.DecodeFromUtf8(line[offset..], out _, out int used) != OperationStatus.Done) return offset;
            offset += used;
        }
        return null;
    }

    /// <summary>Whether line <paramref name="lineNo"/> (1-based) of the file carries an explicit "id" (for the clash message).</summary>
    private static bool HasId(byte[] bytes, int lineNo)
    {
        int start = 0;
        for (int l = 1; l < lineNo; l++) start = Array.IndexOf(bytes, (byte)'\n', start) + 1;
        int end = Array.IndexOf(bytes, (byte)'\n', start);
        try
        {
            using var doc = JsonDocument.Parse(bytes.AsMemory(start, (end < 0 ? bytes.Length : end) - start));
            return doc.RootElement.TryGetProperty("id", out _);
        }
        catch (JsonException) { return false; }
    }
}
