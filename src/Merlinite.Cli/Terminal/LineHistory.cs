using System.Text.Json;

namespace Merlinite.Cli.Terminal;

/// <summary>
/// Lines entered before, oldest first, kept in a file (one JSON string per line, so multi-line entries survive) and
/// trimmed to the newest <see cref="Limit"/>. Without a usable file the history lives for the session only.
/// </summary>
public sealed class LineHistory
{
    public const int Limit = 1000;
    private readonly List<string> _entries = new();
    private readonly string? _path;

    private LineHistory(string? path) => _path = path;

    public IReadOnlyList<string> Entries => _entries;

    /// <summary>The chat history file: $MERLINITE_HISTORY, or chat_history in merlinite's folder of the user's config
    /// directory ($XDG_CONFIG_HOME or ~/.config).</summary>
    public static string? DefaultPath()
    {
        if (Environment.GetEnvironmentVariable("MERLINITE_HISTORY") is { Length: > 0 } path) return path;
        // DoNotVerify: the folder may not exist yet (then GetFolderPath would answer "", a relative path).
        string config = Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return Path.IsPathRooted(config) ? Path.Combine(config, "merlinite", "chat_history") : null;
    }

    /// <summary>Reads the file if there is one; unreadable lines are skipped, as a history is not worth failing for.</summary>
    public static LineHistory Open(string? path)
    {
        var history = new LineHistory(path);
        if (path is null || !File.Exists(path)) return history;
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.Length == 0) continue;
                try { if (JsonSerializer.Deserialize(line, TerminalJson.Default.String) is { Length: > 0 } entry) history._entries.Add(entry); }
                catch (JsonException) { }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        if (history._entries.Count > Limit)
        {
            history._entries.RemoveRange(0, history._entries.Count - Limit);
            history.Rewrite();
        }
        return history;
    }

    /// <summary>Remembers a line (not a repeat of the last one) and appends it to the file.</summary>
    public void Add(string entry)
    {
        if (string.IsNullOrWhiteSpace(entry) || (_entries.Count > 0 && _entries[^1] == entry)) return;
        _entries.Add(entry);
        if (_path is null) return;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
            File.AppendAllText(_path, JsonSerializer.Serialize(entry, TerminalJson.Default.String) + "\n");
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private void Rewrite()
    {
        try
        {
            string tmp = _path + ".tmp";
            File.WriteAllLines(tmp, _entries.Select(e => JsonSerializer.Serialize(e, TerminalJson.Default.String)));
            File.Move(tmp, _path!, overwrite: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class TerminalJson : System.Text.Json.Serialization.JsonSerializerContext;
