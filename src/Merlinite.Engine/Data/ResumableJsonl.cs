using System.Text;
using System.Text.Json;
using Merlinite.Engine.Outputs;

namespace Merlinite.Engine.Data;

/// <summary>
/// A JSONL output that survives being killed. Lines are appended to <c>OUT.partial</c> and flushed one by one; a rerun
/// (whose fingerprint the <see cref="OutputFile"/> has already checked) keeps every complete line, cuts a torn last
/// line off, and skips their ids; <see cref="Complete"/> renames the file to OUT, so only a finished output ever
/// carries the final name.
/// </summary>
public sealed class ResumableJsonl : IDisposable
{
    private readonly OutputFile _output;
    private readonly FileStream _stream;
    private readonly HashSet<string> _done = new(StringComparer.Ordinal);

    public ResumableJsonl(OutputFile output)
    {
        _output = output;
        _stream = new FileStream(output.PartialPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        long keep = ScanCompleteLines();
        _stream.SetLength(keep);
        _stream.Position = keep;
    }

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
        File.Move(_output.PartialPath, _output.Path, overwrite: true);
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
            try
            {
                using var doc = JsonDocument.Parse(data.AsMemory(start, i - start));
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
