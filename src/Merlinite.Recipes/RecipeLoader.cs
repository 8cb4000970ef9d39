using System.Security.Cryptography;
using System.Text;
using Merlinite.Recipes.Schema;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Merlinite.Recipes;

/// <summary>A recipe that passed every check, with paths resolved and the SHA-256 of its text (for the manifest).</summary>
public sealed record LoadedRecipe(string File, Recipe Recipe, string Sha256, IReadOnlyList<RecipeProblem> MissingFiles);

/// <summary>
/// Reads a recipe: YAML syntax, then every key into the typed <see cref="Recipe"/> (unknown keys, wrong types and
/// missing files reported with line:column), then the settings' own checks and the prompt files. Every problem found
/// is reported at once, before anything runs.
/// </summary>
public static class RecipeLoader
{
    /// <param name="allowMissingFiles">For --dry-run: absent model or prompt files are returned in
    /// <see cref="LoadedRecipe.MissingFiles"/> instead of failing the load.</param>
    /// <param name="outputDir">the run directory, instead of the recipe's output.dir (the command line's -o).</param>
    public static LoadedRecipe Load(string path, bool allowMissingFiles = false, string? outputDir = null)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new RecipeException([new RecipeProblem(full, 1, 1, "is a folder, not a recipe file")]);
        if (!File.Exists(full)) throw new FileNotFoundException($"recipe not found: {full}", full);
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(full)); }
        catch (DecoderFallbackException) { throw Problem(full, Mark.Empty, "not valid UTF-8; save the recipe as UTF-8"); }

        var root = Parse(full, text);
        var context = new CheckContext(full, new Recipe());
        RecipeSchema.Root.Check(root, "", context);
        if (outputDir is not null) context.Recipe.Output = context.Recipe.Output with { Dir = Path.GetFullPath(outputDir) };
        var problems = context.Problems.Concat(RecipeValidation.Problems(context.Recipe, context)).ToList();
        var blocking = allowMissingFiles ? problems.Except(context.MissingFiles).ToList() : problems;
        if (blocking.Count == 0 && context.MissingFiles.Count == 0) blocking.AddRange(RecipeValidation.PromptProblems(context.Recipe, context));
        if (blocking.Count > 0) throw new RecipeException(blocking.OrderBy(p => p.Line).ThenBy(p => p.Column).ToList());
        return new LoadedRecipe(full, context.Recipe, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), context.MissingFiles);
    }

    /// <summary>One YAML document. Any parser failure, YamlDotNet's own bugs included, is reported at the last place the
    /// parser reached, never as a bare exception.</summary>
    private static YamlNode Parse(string file, string text)
    {
        if (TabIndentation(text) is var (line, column))
            throw Problem(file, new Mark(0, line, column), "not valid YAML: a tab in the indentation (YAML indents with spaces only)");
        var parser = new TrackingParser(new Parser(new StringReader(text)));
        var stream = new YamlStream();
        try { stream.Load(parser); }
        catch (YamlException e) { throw Problem(file, e.Start, $"not valid YAML: {e.InnerException?.Message ?? e.Message}"); }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            throw Problem(file, parser.LastGood, "not valid YAML: the parser stopped after this point (an unclosed '{', '[' or quote?)");
        }
        if (stream.Documents.Count != 1) throw Problem(file, Mark.Empty, $"expected one YAML document, found {stream.Documents.Count}");
        return stream.Documents[0].RootNode;
    }

    /// <summary>Remembers where the last successfully parsed event ended.</summary>
    private sealed class TrackingParser(IParser inner) : IParser
    {
        public Mark LastGood { get; private set; } = Mark.Empty;
        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            bool more = inner.MoveNext();
            if (inner.Current is { } e) LastGood = e.End;
            return more;
        }
    }

    /// <summary>YamlDotNet reports this common mistake at 1:1, so find it first.</summary>
    private static (int Line, int Column)? TabIndentation(string text)
    {
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int indent = 0;
            while (indent < lines[i].Length && lines[i][indent] is ' ' or '\t')
            {
                if (lines[i][indent] == '\t') return (i + 1, indent + 1);
                indent++;
            }
        }
        return null;
    }

    private static RecipeException Problem(string file, Mark at, string message) =>
        new([new RecipeProblem(file, Math.Max(1, at.Line), Math.Max(1, at.Column), message)]);
}
