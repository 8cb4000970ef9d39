using Merlinite.Engine.Outputs;

namespace Merlinite.Engine.Packing;

/// <summary>
/// Makes a chat binary's model and adapters files llama.cpp can open. llama.cpp reads a model from a path, from byte 0,
/// and an executable must start with its ELF header, so the parts cannot be read in place without changing llama.cpp:
/// each is unpacked once into the cache (<c>~/.cache/merlinite/packs/SHA/FILE</c>), keyed by its SHA-256, so later
/// starts only check that the file is there. Where the filesystem can share blocks (btrfs, XFS, bcachefs) the copy is
/// a reflink: instant, and no second copy on disk. Otherwise the bytes are copied and their hash checked on the way, so
/// a damaged chat binary is caught at its first start.
/// </summary>
public static class PackUnpacker
{
    /// <summary>The unpacked files: the model first, then the adapters.</summary>
    public sealed record Unpacked(string Model, IReadOnlyList<string> Adapters, string Folder);

    /// <param name="notice">Told once, before a part is copied (the first start of a big model takes
    /// seconds).</param>
    /// <param name="progress">Called with (bytes copied, bytes to copy).</param>
    public static Unpacked Unpack(string executable, PackManifest manifest, Action<string>? notice = null,
        Action<long, long>? progress = null)
    {
        string Place(PackPart part, string file)
        {
            string dir = FolderOf(part);
            string path = Path.Combine(dir, file);
            if (new FileInfo(path) is { Exists: true } f && f.Length == part.Length) return path;
            Directory.CreateDirectory(dir);
            RemoveAbandoned(path);
            // A name of its own per process: two first starts at once each write theirs, and the same bytes win.
            string partial = $"{path}.{Environment.ProcessId}.partial";
            try
            {
                using (var source = new FileStream(executable, FileMode.Open, FileAccess.Read, FileShare.Read, 1))
                using (var target = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1))
                {
                    if (!Reflink.TryCloneRange(source, target, part.Offset, PackLayout.Align(part.Length)))
                    {
                        notice?.Invoke($"unpacking {part.File} ({Size(part.Length)}) into {dir}: once, later " +
                                       "starts reuse it");
                        CopyChecked(source, target, part, executable, progress);
                    }
                    target.SetLength(part.Length);
                    target.Flush(flushToDisk: true);
                }
                File.Move(partial, path, overwrite: true);
                return path;
            }
            catch
            {
                File.Delete(partial);
                throw;
            }
        }
        // The model takes the chat's name: the REPL shows it and the server lists it as the model id.
        string model = Place(manifest.Model, FileName(manifest.Name) + ".gguf");
        var adapters = manifest.Adapters.Select(a => Place(a, FileName(a.File))).ToArray();
        return new Unpacked(model, adapters, Folder());
    }

    /// <summary>Partial copies left by first starts that were killed (their process is gone): a copy is never
    /// resumed, so they would only take disk.</summary>
    private static void RemoveAbandoned(string path)
    {
        string name = Path.GetFileName(path);
        foreach (string partial in Directory.GetFiles(Path.GetDirectoryName(path)!, name + ".*.partial"))
        {
            string pid = Path.GetFileName(partial)[(name.Length + 1)..^".partial".Length];
            if (int.TryParse(pid, out int id) && !Directory.Exists($"/proc/{id}"))
                try { File.Delete(partial); } catch (IOException) { } // another start removed it first
        }
    }

    private static string Size(long bytes) => bytes >= 1e9 ? $"{bytes / 1e9:F2} GB" : $"{bytes / 1e6:F1} MB";

    /// <summary>A name from the manifest as a plain file name (it could hold a '/' or '..').</summary>
    private static string FileName(string name)
    {
        string safe = new([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]);
        return safe.Trim('.') is { Length: > 0 } s ? s : "model";
    }

    /// <summary>Where one part is unpacked: a folder named by its SHA-256, so the same bytes are unpacked once.</summary>
    public static string FolderOf(PackPart part) => Path.Combine(Folder(), part.Sha256[..16]);

    /// <summary>Where parts are unpacked: <c>packs/</c> in merlinite's cache folder, or the temporary folder for a
    /// user without a home.</summary>
    public static string Folder() =>
        Path.Combine(CacheFolder.Root() ?? Path.Combine(Path.GetTempPath(), "merlinite-cache"), "packs");

    private static void CopyChecked(FileStream source, FileStream target, PackPart part, string executable,
        Action<long, long>? progress)
    {
        source.Position = part.Offset;
        string sha = PartCopy.Copy(source, target, part.Length,
            () => new PackFormatException($"{executable}: cut short inside {part.File}: copy it again"),
            done => progress?.Invoke(done, part.Length));
        if (sha != part.Sha256)
            throw new PackFormatException($"{executable}: {part.File} is damaged (its SHA-256 is not the one " +
                                          "packed): copy the chat binary again");
    }
}
