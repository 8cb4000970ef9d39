using Merlinite.Engine.Data;
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
            foreach (var step in list.SelectMany(p => p.Steps).Where(s => listed.Add(s.Output.Path)))
            {
                string what = Status(step, changed, layout);
                if (!what.StartsWith("keep", StringComparison.Ordinal)) changed.Add(step.Output.Path);
                lines.Add($"  {layout.Relative(step.Output.Path),-26} {what}");
            }
        }
        if (recipe.Lab is { } lab)
        {
            try { Add(LabPhases(recipe, lab, phases, layout)); }
            catch (Exception e) when (e is RecipeException or IOException) { lines.Add($"  lab: the taxonomy cannot be read ({e.Message.Split('\n')[0]})"); }
        }
        for (int round = 0; round <= recipe.Rounds.Max; round++)
        {
            var list = new List<Phase> { phases.Sample(round), phases.Reward(round), phases.Select(round) };
            if (phases.EvaluatesHeldOut) list.Add(phases.Eval(round));
            if (round < recipe.Rounds.Max) list.Add(phases.Train(round));
            Add(list);
        }
        if (recipe.Rounds.MinImprovement is double m)
            lines.Add($"  (rounds after the first run only while the batch reward improves by at least {m})");
        return lines;
    }

    /// <summary>The LAB stage's phases in the order a run makes them.</summary>
    private static IEnumerable<Phase> LabPhases(Recipe recipe, LabSettings lab, RunPhases phases, RunLayout layout)
    {
        var list = phases.GenerateLeaves(lab).ToList();
        list.Add(phases.GenerateCombine(lab));
        if (phases.EvaluatesHeldOut) list.Add(phases.LabEval("base", recipe.Policy, layout.LabBaseEval));
        for (int i = 0; i < lab.Phases.Count; i++)
        {
            list.Add(phases.LabTrain(lab, i));
            if (phases.EvaluatesHeldOut) list.Add(phases.LabEval(lab.Phases[i].Name, phases.LabPhaseModel(lab, i), layout.LabEval(lab.Phases[i].Name)));
        }
        return list;
    }

    private static string Status(Step step, HashSet<string> changed, RunLayout layout)
    {
        if (step.Inputs.FirstOrDefault(changed.Contains) is { } input) return $"recompute if {layout.Relative(input)} comes out different";
        OutputCheck check;
        try { check = step.Output.Check(step.Fingerprint()); }
        catch (Exception e) when (e is FileNotFoundException or InputFormatException or IOException) { return "compute"; }
        return check.Status switch
        {
            OutputStatus.Complete => "keep (up to date)",
            OutputStatus.Partial => "resume",
            OutputStatus.Missing => "compute",
            _ => $"recompute: {Reason(check)}",
        };
    }
}
