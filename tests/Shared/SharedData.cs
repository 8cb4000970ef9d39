namespace Merlinite.Tests;

/// <summary>
/// The real public corpora in ../shared/data beside the repository root (taxonomy, mt_bench, lmeval): CI has them, a
/// user's clone does not. Tests read them where they are (never copied into the repository) and report themselves
/// skipped, with the reason, where they are absent. Compiled into every test project (tests/Directory.Build.props).
/// </summary>
public static class SharedData
{
    /// <summary>../shared/data/<paramref name="name"/>, or null when this machine lacks it.</summary>
    public static string? Folder(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Merlinite.Native.sln")))
            {
                string data = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", name));
                return Directory.Exists(data) ? data : null;
            }
        return null;
    }

    internal static string? SkipReason(string name) => Folder(name) is null
        ? $"../shared/data/{name} is not beside the repository (CI has it; a user's clone does not)" : null;
}

/// <summary>A fact that reads ../shared/data/FOLDER; skipped where that folder is absent.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(string folder) => Skip = SharedData.SkipReason(folder);
}

/// <summary>A theory that reads ../shared/data/FOLDER; skipped where that folder is absent.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute(string folder) => Skip = SharedData.SkipReason(folder);
}
