using Merlinite.Engine.DataGeneration;
using Microsoft.Extensions.FileSystemGlobbing;

namespace Merlinite.Recipes.Taxonomy;

/// <summary>
/// Reads a knowledge leaf's documents: every file the patterns match in the repo folder, as UTF-8 text, named by its
/// path inside the repo ('/' separators) and sorted, so the generated data does not depend on the file system's order.
/// The commit is not checked: a local folder has no commit to compare with, and a clone is whatever the user checked
/// out (the qna.yaml's commit says which one that should be).
/// </summary>
internal static class LeafDocuments
{
    /// <summary>The documents; problems (a pattern matching nothing, a PDF, a file that is not UTF-8) at the pattern.</summary>
    public static List<LeafDocument>? Read(YamlShape shape, DocumentSpec spec, string folder)
    {
        if (!Directory.Exists(folder))
        {
            shape.Add(spec.RepoNode, $"'document.repo': folder not found: {folder}");
            return null;
        }
        var byName = new SortedDictionary<string, LeafDocument>(StringComparer.Ordinal);
        bool ok = true;
        // The files are listed once, each folder read once (the globber's own walk follows a `loop -> .` forever).
        var files = FolderWalk.Files(folder).ToList();
        foreach (var (pattern, node) in spec.Patterns)
        {
            var matcher = new Matcher(StringComparison.Ordinal);
            matcher.AddInclude(pattern);
            var names = matcher.Match(folder, files).Files
                .Select(f => f.Path.Replace('\\', '/'))
                .Where(n => !n.Split('/').Any(part => part.StartsWith('.'))) // .git and other hidden folders hold no documents
                .Order(StringComparer.Ordinal).ToList();
            if (names.Count == 0)
            {
                shape.Add(node, $"'{pattern}' matches no file in {folder}");
                ok = false;
                continue;
            }
            foreach (var name in names)
            {
                if (byName.ContainsKey(name)) continue;
                if (name.EndsWith(".pdf", StringComparison.OrdinalIgnoreCase))
                {
                    shape.Add(node, $"'{pattern}' matches {name}: only Markdown and text documents are read; convert {name} to Markdown");
                    ok = false;
                    continue;
                }
                string? text = Schema.YamlDocumentReader.ReadUtf8(Path.Combine(folder, name));
                if (text is null)
                {
                    shape.Add(node, $"'{pattern}' matches {name}, which is not UTF-8 text; only Markdown and text documents are read");
                    ok = false;
                    continue;
                }
                byName[name] = new LeafDocument(name, text);
            }
        }
        return ok ? byName.Values.ToList() : null;
    }
}
