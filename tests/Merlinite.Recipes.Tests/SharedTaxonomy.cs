namespace Merlinite.Recipes.Tests;

/// <summary>The upstream qna.yaml corpus in ../shared/data/taxonomy (next to the repository root, never copied into
/// it): valid/ (files InstructLab's parser accepts), legacy/ (version-1 files) and mutations/ (one defect each, with
/// expected.tsv). Tests over it report themselves skipped on a machine without it.</summary>
public static class SharedTaxonomy
{
    public static string? Root { get; } = Find();

    private static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Merlinite.Native.sln")))
            {
                string data = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "taxonomy"));
                return Directory.Exists(data) ? data : null;
            }
        return null;
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
