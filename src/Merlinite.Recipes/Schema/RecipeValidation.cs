using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Settings;
using Merlinite.Recipes.Running;
using YamlDotNet.Core;

namespace Merlinite.Recipes.Schema;

/// <summary>
/// The checks that need a whole recipe: every section's settings checked by the same code the command line runs
/// (each problem placed at its key's line and column), and the prompt files read, so a broken or too small prompt file
/// is refused before anything runs.
/// </summary>
public static class RecipeValidation
{
    public static IEnumerable<RecipeProblem> Problems(Recipe r, CheckContext c)
    {
        var sections = new (string Section, IEnumerable<SettingProblem?> Problems)[]
        {
            ("prompts", r.Prompts.Problems()),
            ("rounds", r.Rounds.Problems()),
            ("sampling", r.Sampling.Problems()),
            ("reward", r.Reward.Problems()),
            ("selection", r.Selection.Problems()),
            ("sft", r.Sft.Train.Problems()),
            ("eval", r.Eval.Problems()),
            ("cluster", r.Cluster.Problems()),
            ("", new RuntimeSettings { Vram = r.Vram }.Problems().Where(p => p?.Key == "vram")),
            ("lab", r.Lab?.Problems() ?? []),
            ("prompts", [!c.Positions.ContainsKey("prompts.files") && r.Lab is null ? new SettingProblem("files", "is required (or a lab section, whose generated data are then the prompts)") : null]),
        };
        foreach (var (section, problems) in sections)
            foreach (var p in problems.OfType<SettingProblem>())
            {
                string Key(string k) => section.Length == 0 ? k : $"{section}.{k}";
                yield return At(c, Key(p.Key), section, $"'{Key(p.Key)}': {p.Render(Key)}");
            }
    }

    /// <summary>Reads the prompt files as a run will, and checks that they hold enough prompts.</summary>
    public static IEnumerable<RecipeProblem> PromptProblems(Recipe r, CheckContext c)
    {
        if (r.Prompts.Files.Count == 0) return []; // the lab stage generates them; the run checks them then
        PromptPool pool;
        try { pool = PromptPool.Load(r.Prompts, r.Sampling.Template.SystemPrompt(r.Prompts.System)); }
        catch (Exception e) when (e is InputFormatException or IOException)
        {
            return [At(c, "prompts.files", "prompts", $"'prompts.files': {e.Message}")];
        }
        int total = pool.HeldOut.Count + pool.Train.Count;
        if (total - r.Prompts.HeldOut < r.Prompts.PerRound || total < r.Prompts.HeldOut)
            return [At(c, "prompts", "prompts",
                $"the prompt files hold {total} prompts; {r.Prompts.HeldOut} held out leaves {Math.Max(total - r.Prompts.HeldOut, 0)}, fewer than per_round = {r.Prompts.PerRound}")];
        return [];
    }

    /// <summary>A problem at <paramref name="path"/>'s value, or at its section when the key was not written.</summary>
    private static RecipeProblem At(CheckContext c, string path, string section, string message)
    {
        var mark = c.Positions.TryGetValue(path, out var m) ? m : c.Positions.TryGetValue(section, out var s) ? s : Mark.Empty;
        return new RecipeProblem(c.File, Math.Max(1, mark.Line), Math.Max(1, mark.Column), message);
    }
}
