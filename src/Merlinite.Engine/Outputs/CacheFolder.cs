namespace Merlinite.Engine.Outputs;

/// <summary>The user's cache folder for merlinite: what can be recomputed (file hashes, unpacked chat
/// models).</summary>
public static class CacheFolder
{
    /// <summary>Overrides the cache folder (default: $XDG_CACHE_HOME/merlinite or ~/.cache/merlinite).</summary>
    public const string Variable = "MERLINITE_CACHE_DIR";

    /// <summary>The folder, or null when there is no home to put it in.</summary>
    public static string? Root()
    {
        string? root = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(root)) return Path.GetFullPath(root);
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg)) return Path.Combine(xdg, "merlinite");
        // Without $HOME (env -i) .NET asks the password database, so a user's cache is still found.
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache", "merlinite");
    }
}
