using System.Security.Cryptography;
using System.Text;
using Merlinite.Recipes.Schema;
using YamlDotNet.Core;

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
        string text = YamlDocumentReader.ReadUtf8(full)
            ?? throw YamlDocumentReader.Problem(full, Mark.Empty, "not valid UTF-8; save the recipe as UTF-8");

        var root = YamlDocumentReader.Parse(full, text);
        var context = new CheckContext(full, new Recipe());
        RecipeSchema.Root.Check(root, "", context);
        context.Recipe.SetVram(context.Recipe.Vram);  // sections read after `vram:` start from their own defaults
        if (outputDir is not null) context.Recipe.Output = context.Recipe.Output with { Dir = Path.GetFullPath(outputDir) };
        var problems = context.Problems.Concat(RecipeValidation.Problems(context.Recipe, context)).ToList();
        var blocking = allowMissingFiles ? problems.Except(context.MissingFiles).ToList() : problems;
        if (blocking.Count == 0 && context.MissingFiles.Count == 0) blocking.AddRange(RecipeValidation.PromptProblems(context.Recipe, context));
        if (blocking.Count > 0) throw new RecipeException(blocking.OrderBy(p => p.Line).ThenBy(p => p.Column).ToList());
        return new LoadedRecipe(full, context.Recipe, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), context.MissingFiles);
    }
}
