using Merlinite.Engine.DataGeneration;
using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes.Taxonomy;

/// <summary>
/// Reads an InstructLab taxonomy: a folder tree in which every folder holding a qna.yaml is a leaf. Leaves under the
/// top-level knowledge/ folder are knowledge (facts from documents), all others skills; a skill whose seed examples
/// give a context is grounded (answers from a given context), wherever it lives. Every file is checked and every
/// problem reported at once, as recipes are, so a taxonomy is fixed in one round instead of one error per run.
/// </summary>
public static class TaxonomyReader
{
    /// <summary>Checks the whole taxonomy and returns what was read, what is wrong, and what could not be checked.</summary>
    /// <param name="documentsDir">the folder holding clones of remote document repos (DOCS/&lt;repo name&gt;), or null.</param>
    /// <param name="readRemoteDocuments">whether a remote repo that cannot be read (no <paramref name="documentsDir"/>)
    /// is a problem (true: the documents are needed, as for data generation) or only a note (false: a format check).</param>
    public static TaxonomyCheck Check(string root, string? documentsDir, bool readRemoteDocuments)
    {
        string full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException(File.Exists(full) ? $"{full} is a file, not a taxonomy folder" : $"taxonomy folder not found: {full}");
        string? docs = documentsDir is null ? null : Path.GetFullPath(documentsDir);
        if (docs is not null && !Directory.Exists(docs))
            throw new DirectoryNotFoundException(File.Exists(docs)
                ? $"documents folder {docs} is a file" : $"documents folder not found: {docs}");

        var leaves = new List<TaxonomyLeaf>();
        var problems = new List<RecipeProblem>();
        var notes = new List<string>();
        var files = QnaFiles(full).ToList();
        if (files.Count == 0) problems.Add(new RecipeProblem(full, 1, 1, $"no {QnaRules.FileName} under {full}"));
        foreach (string file in files)
        {
            var shape = new YamlShape(file);
            if (ReadLeaf(shape, full, docs, readRemoteDocuments, notes) is { } leaf && shape.Problems.Count == 0) leaves.Add(leaf);
            problems.AddRange(shape.Problems);
        }
        return new TaxonomyCheck(
            leaves.OrderBy(l => l.Path, StringComparer.Ordinal).ToList(),
            problems.OrderBy(p => p.File, StringComparer.Ordinal).ThenBy(p => p.Line).ThenBy(p => p.Column).ToList(),
            notes);
    }

    /// <summary>The taxonomy's leaves with their documents, sorted by path; throws <see cref="RecipeException"/> with
    /// every problem, remote documents without a local clone included.</summary>
    public static IReadOnlyList<TaxonomyLeaf> Load(string root, string? documentsDir)
    {
        var check = Check(root, documentsDir, readRemoteDocuments: true);
        if (!check.Ok) throw new RecipeException(check.Problems);
        return check.Leaves;
    }

    /// <summary>The qna.yaml a leaf was read from (a leaf in the root folder itself is named after the root).</summary>
    public static string QnaFileOf(string root, TaxonomyLeaf leaf)
    {
        string full = Path.GetFullPath(root);
        string inRoot = Path.Combine(full, QnaRules.FileName);
        return leaf.Path == Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar)) && File.Exists(inRoot)
            ? inRoot : Path.Combine(full, leaf.Path.Replace('/', Path.DirectorySeparatorChar), QnaRules.FileName);
    }

    /// <summary>Every qna.yaml under the root, hidden folders (.git, .github) skipped, in ordinal path order; a folder
    /// linked twice into the tree is read once.</summary>
    private static IEnumerable<string> QnaFiles(string root) =>
        FolderWalk.Folders(root, sub => !Path.GetFileName(sub).StartsWith('.'))
            .Select(dir => Path.Combine(dir, QnaRules.FileName)).Where(File.Exists)
            .Order(StringComparer.Ordinal).ToList();

    private static TaxonomyLeaf? ReadLeaf(YamlShape shape, string root, string? docs, bool readRemote, List<string> notes)
    {
        string folder = Path.GetDirectoryName(shape.File)!;
        string relative = Path.GetRelativePath(root, folder).Replace('\\', '/');
        string[] parts = relative == "." ? [] : relative.Split('/');
        string path = parts.Length == 0 ? Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar)) : relative;
        bool knowledge = parts.Length > 0 && parts[0] == QnaRules.KnowledgeFolder;
        var content = QnaFile.Read(shape, knowledge);
        notes.AddRange(shape.Notes);
        IReadOnlyList<LeafDocument> documents = [];
        if (content.Document is { } spec)
        {
            var repo = DocumentRepo.Resolve(spec.Repo, folder, docs);
            if (repo.Remote && repo.Folder is null)
            {
                string advice = $"clone it into DOCS/{repo.CloneName} (git clone {spec.Repo} DOCS/{repo.CloneName} && git -C DOCS/{repo.CloneName} checkout {spec.Commit}) and pass --documents DOCS";
                if (readRemote) shape.Add(spec.RepoNode, $"'document.repo' {spec.Repo} is remote and no documents folder was given: {advice}");
                else notes.Add($"{shape.File}:{spec.RepoNode.Start.Line}:{spec.RepoNode.Start.Column}: documents of {spec.Repo} not checked: {advice}");
            }
            else if (repo.Remote && !Directory.Exists(repo.Folder))
                shape.Add(spec.RepoNode, $"'document.repo' {spec.Repo} has no local clone in {repo.Folder}: clone it there (git clone {spec.Repo} {repo.Folder} && git -C {repo.Folder} checkout {spec.Commit}), or pass another --documents folder");
            else if (LeafDocuments.Read(shape, spec, repo.Folder!) is { } read) documents = read;
        }
        if (content.Description is null || content.Seeds is null || (knowledge && content.Document is null)) return null;
        return new TaxonomyLeaf(path, knowledge ? LeafKind.Knowledge : LeafKind.Skill, content.Description, content.Seeds, documents);
    }
}
