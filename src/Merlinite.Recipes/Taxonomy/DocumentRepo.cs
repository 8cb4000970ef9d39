namespace Merlinite.Recipes.Taxonomy;

/// <summary>
/// Where a knowledge leaf's document.repo is on this machine. A local folder (absolute, relative to the qna.yaml's
/// folder, or a file:// URL) is read as it is; a remote repository (http(s)://, git://, ssh://, git@host:) is never
/// fetched (the tool runs offline, on machines that often cannot reach GitHub) but looked up as a clone the user made
/// in a documents folder: DOCS/&lt;the URL's last segment without .git&gt;.
/// </summary>
internal sealed record DocumentRepo(string Written, bool Remote, string? Folder)
{
    /// <summary>The folder a clone of a remote repo goes in: "https://github.com/org/docs.git" → "docs".</summary>
    public string CloneName
    {
        get
        {
            string last = Written.TrimEnd('/').Split('/', ':')[^1];
            return last.EndsWith(".git", StringComparison.Ordinal) ? last[..^4] : last;
        }
    }

    /// <param name="written">document.repo as the qna.yaml gives it.</param>
    /// <param name="leafFolder">the qna.yaml's folder, which a relative repo path starts from.</param>
    /// <param name="documentsDir">the folder of clones, or null when none was given.</param>
    public static DocumentRepo Resolve(string written, string leafFolder, string? documentsDir)
    {
        if (IsRemote(written))
        {
            var remote = new DocumentRepo(written, true, null);
            return documentsDir is null ? remote : remote with { Folder = Path.GetFullPath(Path.Combine(documentsDir, remote.CloneName)) };
        }
        string local = written.StartsWith("file://", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(written, UriKind.Absolute, out var uri)
            ? uri.LocalPath : written;
        return new DocumentRepo(written, false, Path.GetFullPath(Path.Combine(leafFolder, local)));
    }

    private static bool IsRemote(string repo) =>
        repo.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || repo.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
        || repo.StartsWith("ssh://", StringComparison.OrdinalIgnoreCase) || repo.StartsWith("git://", StringComparison.OrdinalIgnoreCase)
        || repo.StartsWith("git@", StringComparison.Ordinal);
}
