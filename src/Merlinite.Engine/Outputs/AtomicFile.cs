using System.Text;

namespace Merlinite.Engine.Outputs;

/// <summary>
/// Whole-file writes that never leave a half-written file under the final name: the text goes to <c>PATH.partial</c>,
/// is flushed, and is renamed over PATH. A failure removes the partial file.
/// </summary>
public static class AtomicFile
{
    public static string PartialPath(string path) => path + ".partial";

    public static void WriteAllText(string path, string text) => Write(path, w => w.Write(text));

    public static void WriteAllLines(string path, IEnumerable<string> lines) => Write(path, w =>
    {
        foreach (var line in lines) { w.Write(line); w.Write('\n'); }
    });

    public static void Write(string path, Action<TextWriter> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string partial = PartialPath(full);
        try
        {
            using (var stream = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
            {
                write(writer);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(partial, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(partial); } catch (IOException) { }
            throw;
        }
    }
}
