using System.Text;
using System.Text.Json;

namespace Merlinite.Engine.Data;

/// <summary>
/// A JSONL output that survives being killed. Lines are appended to <c>PATH.partial</c> and flushed one by one; a rerun
/// keeps every complete line (a torn last line is cut off and redone) and skips their ids; <see cref="Complete"/>
/// renames the file to PATH, so only a finished output ever carries the final name.
/// </summary>
public sealed class ResumableJsonl : IDisposable
{
    private readonly FileStream _stream;
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);

    public ResumableJsonl(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        PartialPath = Path + ".partial";
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        if (File.Exists(Path))
        {
            // A finished output: nothing to redo. Reopen it as partial so extra items (a grown input) can be appended.
            File.Move(Path, PartialPath, overwrite: true);
        }
        _stream = new FileStream(PartialPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        long keep = ScanCompleteLines();
        _stream.SetLength(keep);
        _stream.Position = keep;
    }

    public string Path { get; }
    public string PartialPath { get; }
    public IReadOnlySet<string> DoneIds => _done;

    public void Append(string id, string jsonLine)
    {
        var bytes = Encoding.UTF8.GetBytes(jsonLine + "\n");
        _stream.Write(bytes);
        _stream.Flush(flushToDisk: false);
        _done.Add(id);
    }

    public void Complete()
    {
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(PartialPath, Path, overwrite: true);
    }

    public void Dispose() => _stream.Dispose();

    /// <summary>Collects the ids of complete, parseable lines and returns the byte length they cover.</summary>
    private long ScanCompleteLines()
    {
        _stream.Position = 0;
        var data = new byte[_stream.Length];
        _stream.ReadExactly(data);
        long good = 0;
        int start = 0;
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i] != (byte)'\n') continue;
            var line = data.AsSpan(start, i - start);
            try
            {
                using var doc = JsonDocument.Parse(line.ToArray());
                if (!doc.RootElement.TryGetProperty("id", out var id)) break;
                _done.Add(id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText());
            }
            catch (JsonException) { break; }
            good = i + 1;
            start = i + 1;
        }
        return good;
    }
}
