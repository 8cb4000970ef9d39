namespace Merlinite.Cli.Tests;

/// <summary>The upstream qna.yaml corpus in ../shared/data/taxonomy next to the repository root (never copied into it),
/// or null where this machine lacks it.</summary>
public static class SharedTaxonomy
{
    public static string? Root { get; } = Find();

    private static string? Find()
    {
        string data = Path.GetFullPath(Path.Combine(MerliniteBinary.RepoRoot, "..", "shared", "data", "taxonomy"));
        return Directory.Exists(data) ? data : null;
    }
}

/// <summary>A fact that needs the shared taxonomy corpus; skipped (with the reason) where it is absent.</summary>
public sealed class SharedTaxonomyFactAttribute : FactAttribute
{
    public SharedTaxonomyFactAttribute()
    {
        if (SharedTaxonomy.Root is null) Skip = "../shared/data/taxonomy is absent (the upstream qna.yaml corpus)";
    }
}
