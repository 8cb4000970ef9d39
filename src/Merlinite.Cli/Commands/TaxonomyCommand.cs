using System.CommandLine;
using System.Text.Json;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine;
using Merlinite.Engine.DataGeneration;
using Merlinite.Recipes.Taxonomy;

namespace Merlinite.Cli.Commands;

/// <summary>merlinite taxonomy check|list DIR: read an InstructLab taxonomy the way data generation will, so a broken
/// qna.yaml is found (every problem, with file:line:col) before a long generation run starts.</summary>
public static class TaxonomyCommand
{
    public static Command Create() => new("taxonomy", "Check and list InstructLab taxonomies (folder trees of qna.yaml files: knowledge/ leaves with their documents, skills, grounded skills).")
    {
        CreateCheck(), CreateList(),
    };

    private static Argument<DirectoryInfo> Folder() => new("DIR") { Description = "the taxonomy's root folder (holding knowledge/, compositional_skills/, ...)" };

    private static Option<DirectoryInfo?> Documents() => new("--documents")
    {
        Description = "folder of local clones of the knowledge documents' remote repos: DIR/<repo name> (without it, remote documents are not checked)",
        HelpName = "DIR",
    };

    private static Command CreateCheck()
    {
        var dir = Folder();
        var documents = Documents();
        var cmd = new Command("check",
            "Check every qna.yaml against InstructLab's format (knowledge version 3, skills version 2 or 3: required keys, counts, word limits) " +
            "and read the knowledge documents; prints every problem as file:line:col: message.")
        {
            dir, documents,
        };
        cmd.SetAction(parse =>
        {
            var check = Read(parse.GetValue(dir)!, parse.GetValue(documents));
            if (check is null) return ExitCodes.UsageError;
            int knowledge = check.Leaves.Count(l => l.Kind == LeafKind.Knowledge);
            Console.WriteLine($"taxonomy OK: {Plural.Of(check.Leaves.Count, "leaf", "leaves")} ({knowledge} knowledge, " +
                $"{Plural.Of(check.Leaves.Count - knowledge, "skill")}; {check.Leaves.Count(l => l.Grounded)} grounded)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command CreateList()
    {
        var dir = Folder();
        var documents = Documents();
        var json = new Option<bool>("--json") { Description = "a JSON array of {path, kind, seeds, documents, file} (documents: null where a remote repo was not read)" };
        var cmd = new Command("list", "List a taxonomy's leaves: kind, path, seed examples and documents. Fails as check does when a qna.yaml has problems.")
        {
            dir, documents, json,
        };
        cmd.SetAction(parse =>
        {
            var root = parse.GetValue(dir)!;
            var check = Read(root, parse.GetValue(documents));
            if (check is null) return ExitCodes.UsageError;
            if (parse.GetValue(json)) WriteJson(check.Leaves, root.FullName);
            else
            {
                int width = check.Leaves.Select(l => l.Path.Length).DefaultIfEmpty(0).Max();
                foreach (var leaf in check.Leaves)
                    Console.WriteLine($"{Kind(leaf),-14}  {leaf.Path.PadRight(width)}  {Plural.Of(leaf.Seeds.Count, "seed")}" +
                        (leaf.Kind != LeafKind.Knowledge ? "" : NotRead(leaf) ? ", documents not read (see the note)" : $", {Plural.Of(leaf.Documents.Count, "document")}"));
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Checks the taxonomy, printing notes and problems to stderr; null (after printing) when it has problems.</summary>
    private static TaxonomyCheck? Read(DirectoryInfo root, DirectoryInfo? documents)
    {
        TaxonomyCheck check;
        if (!root.Exists) throw new UsageException(File.Exists(root.FullName)
            ? $"{root.FullName} is a file, not a taxonomy folder" : $"taxonomy folder not found: {root.FullName}");
        try { check = TaxonomyReader.Check(root.FullName, documents?.FullName, readRemoteDocuments: false); }
        catch (DirectoryNotFoundException e) { throw new UsageException($"--documents: {e.Message}"); }
        foreach (var note in check.Notes) Console.Error.WriteLine($"note: {note}");
        if (check.Ok) return check;
        foreach (var p in check.Problems) Console.Error.WriteLine(p);
        int files = check.Problems.Select(p => p.File).Distinct().Count();
        Console.Error.WriteLine($"{Plural.Of(check.Problems.Count, "problem")} in {Plural.Of(files, "file")} under {root.FullName}");
        return null;
    }

    /// <summary>A knowledge leaf that was read has at least one document (a pattern matching nothing is a problem), so
    /// none means its remote repo was not read (a note says so).</summary>
    private static bool NotRead(TaxonomyLeaf leaf) => leaf.Kind == LeafKind.Knowledge && leaf.Documents.Count == 0;

    private static string Kind(TaxonomyLeaf leaf) => leaf.Kind == LeafKind.Knowledge ? "knowledge" : leaf.Grounded ? "grounded skill" : "skill";

    private static void WriteJson(IReadOnlyList<TaxonomyLeaf> leaves, string root)
    {
        using (var w = new Utf8JsonWriter(Console.OpenStandardOutput(), Engine.Data.JsonStyle.IndentedWriter))
        {
            w.WriteStartArray();
            foreach (var leaf in leaves)
            {
                w.WriteStartObject();
                w.WriteString("path", leaf.Path);
                w.WriteString("kind", Kind(leaf));
                w.WriteNumber("seeds", leaf.Seeds.Count);
                if (NotRead(leaf)) w.WriteNull("documents");
                else w.WriteNumber("documents", leaf.Documents.Count);
                w.WriteString("file", TaxonomyReader.QnaFileOf(root, leaf));
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        Console.WriteLine();
    }
}
