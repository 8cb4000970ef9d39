using Merlinite.Engine.Outputs;

namespace Merlinite.Recipes.Taxonomy;

/// <summary>
/// The folders of a tree, each once: a folder reached again through a symbolic link (a `loop -> .` in a taxonomy or a
/// documents repo) is skipped by its real path, so a loop neither repeats leaves nor walks forever. Breadth first with
/// subfolders in ordinal order, so a folder is named by its shortest path and the result does not depend on the file
/// system's order.
/// </summary>
internal static class FolderWalk
{
    /// <param name="enter">Whether to walk into a subfolder (hidden folders are skipped by the callers).</param>
    public static IEnumerable<string> Folders(string root, Func<string, bool> enter)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<string>([root]);
        while (pending.TryDequeue(out var dir))
        {
            if (!seen.Add(FileIdentity.RealPath(dir))) continue;
            yield return dir;
            foreach (var sub in Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal))
                if (enter(sub)) pending.Enqueue(sub);
        }
    }

    /// <summary>Every file under <paramref name="root"/> (hidden folders skipped), each folder read once.</summary>
    public static IEnumerable<string> Files(string root) =>
        Folders(root, sub => !Path.GetFileName(sub).StartsWith('.')).SelectMany(Directory.EnumerateFiles);
}
