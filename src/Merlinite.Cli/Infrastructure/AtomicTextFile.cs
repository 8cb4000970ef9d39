using System.Text;

namespace Merlinite.Cli.Infrastructure;

/// <summary>
/// Writes to <c>PATH.partial</c> and renames to PATH on <see cref="Commit"/>, so an interrupted or failed run never
/// leaves a file that looks complete. Disposing without committing deletes the partial file.
/// </summary>
public sealed class AtomicTextFile : IDisposable
{
    private readonly string _path;
    private readonly string _partial;
    private StreamWriter? _writer;

    public AtomicTextFile(string path)
    {
        _path = path;
        _partial = path + ".partial";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = new StreamWriter(_partial, append: false, new UTF8Encoding(false)) { NewLine = "\n" };
    }

    public void WriteLine(string line) => _writer!.WriteLine(line);

    public void Commit()
    {
        _writer!.Flush();
        _writer.Dispose();
        _writer = null;
        File.Move(_partial, _path, overwrite: true);
    }

    public void Dispose()
    {
        if (_writer is null) return;
        _writer.Dispose();
        _writer = null;
        File.Delete(_partial);
    }
}
