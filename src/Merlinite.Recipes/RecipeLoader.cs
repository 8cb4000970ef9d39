using System.Security.Cryptography;
using System.Text;
using Merlinite.Recipes.Schema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Merlinite.Recipes;

/// <summary>A recipe that passed every check, with paths resolved and the SHA-256 of its text (for the manifest).</summary>
public sealed record LoadedRecipe(string File, Recipe Recipe, string Sha256, IReadOnlyList<RecipeProblem> MissingFiles);

/// <summary>
/// Reads a recipe: YAML syntax, then the schema (every problem with line:column), then the typed object through
/// YamlDotNet's static deserializer, then ${ENV} expansion and paths made absolute relative to the recipe's folder.
/// </summary>
public static class RecipeLoader
{
    /// <param name="allowMissingFiles">For --dry-run: absent model or prompt files are returned in
    /// <see cref="LoadedRecipe.MissingFiles"/> instead of failing the load.</param>
    public static LoadedRecipe Load(string path, bool allowMissingFiles = false)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"recipe not found: {full}", full);
        string text = File.ReadAllText(full);
        var context = new CheckContext(full, v => EnvironmentExpander.Expand(v));

        if (TabIndentation(text) is var (line, column))
            throw Problem(full, new Mark(0, line, column), "not valid YAML: a tab in the indentation (YAML indents with spaces only)");
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw Problem(full, e.Start, $"not valid YAML: {e.InnerException?.Message ?? e.Message}"); }
        if (stream.Documents.Count != 1) throw Problem(full, Mark.Empty, $"expected one YAML document, found {stream.Documents.Count}");

        RecipeSchema.Root.Check(stream.Documents[0].RootNode, "", context);
        var blocking = allowMissingFiles ? context.Problems.Except(context.MissingFiles).ToList() : context.Problems;
        if (blocking.Count > 0) throw new RecipeException(blocking);

        var deserializer = new StaticDeserializerBuilder(new RecipeYamlContext())
            .WithNamingConvention(UnderscoredNamingConvention.Instance)
            .Build();
        Recipe recipe;
        try { recipe = deserializer.Deserialize<Recipe>(text); }
        catch (YamlException e) { throw Problem(full, e.Start, e.InnerException?.Message ?? e.Message); }

        Resolve(recipe, context);
        if (context.MissingFiles.Count == 0) CheckPromptCounts(recipe, full, stream.Documents[0].RootNode);
        return new LoadedRecipe(full, recipe, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), context.MissingFiles);
    }

    private static void Resolve(Recipe r, CheckContext c)
    {
        r.Models.Policy.Base = c.Resolve(r.Models.Policy.Base);
        if (r.Models.Policy.Adapter is not null) r.Models.Policy.Adapter = c.Resolve(r.Models.Policy.Adapter);
        r.Models.Instruct.Path = c.Resolve(r.Models.Instruct.Path);
        r.Models.Reference.Path = c.Resolve(r.Models.Reference.Path);
        r.Prompts.Files = r.Prompts.Files.Select(c.Resolve).ToList();
        if (r.Prompts.System is not null) r.Prompts.System = c.Expand(r.Prompts.System);
        r.Output.Dir = c.Resolve(r.Output.Dir);
    }

    /// <summary>Held-out and per-round prompts must come from what the files hold.</summary>
    private static void CheckPromptCounts(Recipe r, string file, YamlNode root)
    {
        int total = r.Prompts.Files.Sum(f => File.ReadLines(f).Count(l => !string.IsNullOrWhiteSpace(l)));
        int pool = total - r.Prompts.HeldOut;
        if (pool < r.Prompts.PerRound)
        {
            var prompts = ((YamlMappingNode)root).Children[new YamlScalarNode("prompts")];
            throw new RecipeException([new RecipeProblem(file, prompts.Start.Line, prompts.Start.Column,
                $"the prompt files hold {total} prompts; {r.Prompts.HeldOut} held out leaves {Math.Max(pool, 0)}, fewer than per_round = {r.Prompts.PerRound}")]);
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
