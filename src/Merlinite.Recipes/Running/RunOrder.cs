using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes.Running;

/// <summary>
/// The order of a run as data: the one list of phases that <see cref="RecipeRunner"/> makes and
/// <see cref="RunStatus"/> (the dry-run) describes, so the two cannot disagree on what a run does or in which order.
/// </summary>
public sealed partial class RunPhases
{
    /// <summary>A round's phases in run order: sample, reward, select, the held-out eval, the eval tasks, and, before
    /// the last round, train (which a run that stops early, rounds.min_improvement, leaves out).</summary>
    public IReadOnlyList<Phase> Round(int round, Sharding? shards = null)
    {
        var list = new List<Phase> { Sample(round, shards), Reward(round, shards), Select(round) };
        if (EvaluatesHeldOut) list.Add(Eval(round, shards));
        if (recipe.Eval.Tasks.Count > 0) list.Add(EvalTasks(round));
        if (round < recipe.Rounds.Max) list.Add(Train(round));
        return list;
    }

    /// <summary>Whether <paramref name="phase"/> is a round's training (the phase a stopping run skips).</summary>
    public static bool IsTraining(Phase phase) => phase.Key.StartsWith("round-", StringComparison.Ordinal)
                                                  && phase.Key.EndsWith("/train", StringComparison.Ordinal);

    /// <summary>What is made after the rounds from the peak round's policy: output.merge, then output.pack.</summary>
    public IReadOnlyList<Phase> Finish(int peak)
    {
        var list = new List<Phase>();
        if (recipe.Output.Merge) list.Add(Merge(peak));
        if (recipe.Output.Pack) list.Add(Pack(peak));
        return list;
    }

    /// <summary>The LAB stage in run order: each leaf's generation, the combined data, the start model's held-out
    /// eval, then each SFT phase and its held-out eval.</summary>
    public IReadOnlyList<Phase> Lab(LabSettings lab)
    {
        var list = GenerateLeaves(lab).ToList();
        list.Add(GenerateCombine(lab));
        if (EvaluatesHeldOut) list.Add(LabEval("base", recipe.Policy, layout.LabBaseEval));
        for (int i = 0; i < lab.Phases.Count; i++)
        {
            list.Add(LabTrain(lab, i));
            if (EvaluatesHeldOut)
                list.Add(LabEval(lab.Phases[i].Name, LabPhaseModel(lab, i), layout.LabEval(lab.Phases[i].Name)));
        }
        return list;
    }

    /// <summary>The SFT phase index of a LAB training phase (its key is lab/NAME/train), or null.</summary>
    public static int? LabTrainingIndex(LabSettings lab, Phase phase) =>
        lab.Phases.Select((p, i) => (p, i)).Where(x => phase.Key == $"lab/{x.p.Name}/train")
            .Select(x => (int?)x.i).FirstOrDefault();
}
