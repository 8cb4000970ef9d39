using Merlinite.Engine.Data;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Outputs;
using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes.Running;

/// <summary>
/// What a run of the recipe would do now to an existing run directory, output by output (for `run --dry-run`): keep
/// what is up to date, resume what was interrupted, recompute what the recipe, a prompt file or a model changed (and
/// say which setting), and compute what is made from a recomputed output.
/// </summary>
public static class RunStatus
{
    public static string Reason(OutputCheck check) => check switch
    {
        { Status: OutputStatus.Unrecorded } => "nothing records what made it",
        { Difference: { Key: "job" } d } => $"it was made by another kind of step ({d.Then})",
        { Difference: { } d } => $"{d.Key} was {d.Then}, now {d.Now}",
        _ => "",
    };

    public static IReadOnlyList<string> Describe(LoadedRecipe loaded)
    {
        var recipe = loaded.Recipe;
        var layout = new RunLayout(recipe.Output.Dir);
        if (!Directory.Exists(layout.Dir) || !Directory.EnumerateFiles(layout.Dir, "*.meta.json", SearchOption.AllDirectories).Any())
            return [$"no run in {layout.Dir} yet: every phase will be computed"];
        var phases = new RunPhases(recipe, layout, threads: 0);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        var listed = new HashSet<string>(StringComparer.Ordinal); // the held-out prompts belong to every round's eval
        var lines = new List<string> { $"what a run would do in {layout.Dir}:" };
        void Add(IEnumerable<Phase> list)
        {
            foreach (var step in list.SelectMany(p => p.Jobs).Where(s => listed.Add(s.Output.Path)))
            {
                string what = Status(step, changed, layout);
                if (!what.StartsWith("keep", StringComparison.Ordinal)) changed.Add(step.Output.Path);
                lines.Add($"  {layout.Relative(step.Output.Path)}\t{what}");
            }
        }
        if (recipe.Lab is { } lab)
        {
            try { Add(phases.Lab(lab)); }
            catch (Exception e) when (e is RecipeException or IOException) { lines.Add($"  lab: the taxonomy cannot be read ({e.Message.Split('\n')[0]})"); }
        }
        for (int round = 0; round <= recipe.Rounds.Max; round++) Add(phases.Round(round));
        if (recipe.Rounds.MinImprovement is double m)
            lines.Add($"  (rounds after the first run only while the batch reward improves by at least {m})");
        if (recipe.Output.Merge || recipe.Output.Pack)
        {
            // Made from the peak round's policy, known once the rounds' rewards are: the last report's peak while
            // nothing before has to be remade.
            if (changed.Count == 0 && RunReport.ReadPeakRound(layout) is int peak) Add(phases.Finish(peak));
            else lines.Add($"  then from the peak round's policy: {string.Join(", ", Finishing(recipe, layout))}");
        }
        // One column for the paths, as wide as the longest.
        int width = lines.Where(l => l.Contains('\t')).Select(l => l.IndexOf('\t')).DefaultIfEmpty(0).Max() + 1;
        return lines.Select(l => l.IndexOf('\t') is var tab and > 0 ? l[..tab].PadRight(width) + l[(tab + 1)..] : l)
            .ToList();
    }

    private static IEnumerable<string> Finishing(Recipe recipe, RunLayout layout)
    {
        if (recipe.Output.Merge) yield return layout.Relative(layout.Result);
        if (recipe.Output.Pack) yield return layout.Relative(layout.ChatBinary(recipe.Name));
    }

    /// <summary>What a run will do to the step's output, and why. An input that is remade makes the output's fate
    /// depend on the new bytes, unless one of its own settings changed: then it is remade for that reason, which the
    /// run will name too (<see cref="Fingerprint.CompareTo"/> puts settings before files).</summary>
    private static string Status(IJob step, HashSet<string> changed, RunLayout layout)
    {
        string? remade = step.Inputs.FirstOrDefault(changed.Contains);
        Fingerprint now;
        try { now = step.Fingerprint(); }
        catch (Exception e) when (e is FileNotFoundException or InputFormatException or IOException)
        {
            return remade is null || !step.Output.IsComplete ? "compute"
                : $"recompute if {layout.Relative(remade)} comes out different";
        }
        var check = step.Output.Check(now);
        if (check.Status == OutputStatus.Missing) return "compute";
        if (remade is not null)
        {
            if (step.Output.ReadFingerprint() is { } made && now.CompareSettingsTo(made) is { } setting)
                return $"recompute: {Reason(new OutputCheck(OutputStatus.Stale, setting))}";
            return $"recompute if {layout.Relative(remade)} comes out different";
        }
        return check.Status switch
        {
            OutputStatus.Complete => "keep (up to date)",
            OutputStatus.Partial => "resume",
            _ => $"recompute: {Reason(check)}",
        };
    }
}
