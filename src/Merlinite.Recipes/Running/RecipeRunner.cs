using Merlinite.Engine.Jobs;
using Merlinite.Engine.Outputs;

namespace Merlinite.Recipes.Running;

/// <summary>
/// Runs a recipe's rounds like a build system. Round r samples from policy r (the base plus the adapter trained after
/// round r-1), scores every sample with the instruct and then the reference model, keeps the best per prompt,
/// evaluates policy r on the held-out prompts, and trains policy r+1 (except after the last round). Every output
/// carries the fingerprint of what made it: a rerun keeps what is still what the recipe asks for, resumes what was
/// interrupted, and recomputes what an edit of the recipe, a prompt file or a model changed, and then whatever was
/// made from it. So the outputs after any edits and reruns equal those of a fresh run of the final recipe.
/// </summary>
public sealed class RecipeRunner(LoadedRecipe loaded, int threads, PhaseDisplay display, TextWriter log)
{
    /// <summary>Shard processes for the parallel phases: sample, reward, held-out eval (null or 1: this process runs them).</summary>
    public Sharding? Sharding { get; init; }

    // The sharded phases' join times (RunPhases records them while making a phase), for manifest.json.
    private IReadOnlyDictionary<string, double> _joinSeconds = new Dictionary<string, double>();

    public IReadOnlyList<RoundStats> Run(CancellationToken ct)
    {
        var recipe = loaded.Recipe;
        var layout = new RunLayout(recipe.Output.Dir);
        var phases = new RunPhases(recipe, layout, threads);
        _joinSeconds = phases.JoinSeconds;
        var manifest = RunManifest.Open(layout, loaded);
        var lab = recipe.Lab is { } labSettings ? RunLab(labSettings, phases, manifest, layout, ct) : null;
        var rounds = new List<RoundStats>();
        var rewards = new List<RoundRewards>();
        for (int round = 0; round <= recipe.Rounds.Max; round++)
        {
            var list = phases.Round(round, Sharding);
            bool last = round == recipe.Rounds.Max;
            for (int i = 0; i < list.Count; i++)
            {
                if (RunPhases.IsTraining(list[i]) && StopsHere(rounds, phases.Selection(round).Stats.BatchReward))
                {
                    last = true;
                    break;
                }
                // "round 1 of 0–3 · phase 2/6" before each phase's title: where a long run is, at a glance.
                Make(manifest, list[i], layout, ct, $"round {round} of 0–{recipe.Rounds.Max} · phase {i + 1}/{list.Count} · ");
            }
            var selection = phases.Selection(round);
            double? heldOut = phases.EvaluatesHeldOut ? phases.HeldOutAccuracy(round) : null;
            IReadOnlyList<Engine.Evaluation.EvalSummary> evals = recipe.Eval.Tasks.Count > 0 ? phases.EvalScores(round) : [];
            rewards.Add(phases.Rewards(round));
            double? loss = last ? null : phases.SftLoss(round);
            rounds.Add(RoundStats.From(round, selection.Stats, phases.SampleAccuracy(round), heldOut, loss) with
            {
                Evals = evals.Select(e => new EvalScore(e.Task, e.Headline, e.HeadlineValue,
                    e.Metrics.First(m => m.Name == e.Headline).StdErr, e.IsRating) { Groups = e.Groups }).ToList(),
            });
            log.WriteLine(rounds[^1].Line());
            if (last) break;
        }
        RunReport.Write(layout, loaded, rounds, rewards, lab);
        foreach (var phase in phases.Finish(RunReport.PeakRound(rounds))) Make(manifest, phase, layout, ct);
        return rounds;
    }

    /// <summary>LAB before the rounds: data from the taxonomy (a phase per leaf), held-out accuracy of the start model,
    /// then each SFT phase and its held-out accuracy.</summary>
    private LabStats RunLab(Schema.LabSettings lab, RunPhases phases, RunManifest manifest, RunLayout layout, CancellationToken ct)
    {
        foreach (var phase in phases.Lab(lab))
        {
            // A phase's training needs data of its own: say so before the trainer is started on nothing.
            if (RunPhases.LabTrainingIndex(lab, phase) is int index
                && File.ReadLines(phases.LabOwnData(lab, index)).All(l => l.Length == 0))
                throw new Engine.Settings.SettingException("lab", $"SFT phase '{lab.Phases[index].Name}' has no data: the filters kept no {lab.Phases[index].DataName} " +
                    "example (counts above); lower lab.generate.min_question_rating or min_pair_rating, raise lab.generate.questions, or drop the phase");
            Make(manifest, phase, layout, ct, "lab · ");
            if (phase.Key == "lab/generate")
                foreach (var leaf in phases.GenerationReport(lab).Leaves) log.WriteLine($"lab: {leaf.Line()}");
        }
        var generated = phases.GenerationReport(lab);
        double? before = phases.EvaluatesHeldOut ? phases.LabAccuracy(layout.LabBaseEval) : null;
        var stats = new List<LabPhaseStats>();
        for (int i = 0; i < lab.Phases.Count; i++)
        {
            var phase = lab.Phases[i];
            int own = File.ReadLines(phases.LabOwnData(lab, i)).Count(l => l.Length > 0);
            double? accuracy = phases.EvaluatesHeldOut ? phases.LabAccuracy(layout.LabEval(phase.Name)) : null;
            int examples = File.ReadLines(layout.LabPhaseData(phase.Name)).Count(l => l.Length > 0);
            stats.Add(new LabPhaseStats(phase.Name, examples, examples - own, phases.LabLoss(phase.Name), accuracy));
        }
        var result = new LabStats(generated, before, stats);
        log.WriteLine($"lab: {result.AccuracyLine()}");
        return result;
    }

    /// <summary>Makes every step of the phase whose output is not already what the recipe asks for, under one progress
    /// display (a phase is one line of a plain log). Steps are checked in order, each after the one before is made: a
    /// step's fingerprint may read what the step before wrote.</summary>
    private void Make(RunManifest manifest, Phase phase, RunLayout layout, CancellationToken ct, string where = "")
    {
        var digests = new List<string>();
        int next = 0;
        // Whether the step is complete as it stands; a stale or unrecorded one says why it is made again.
        bool Kept(IJob step)
        {
            ct.ThrowIfCancellationRequested();
            var fingerprint = step.Fingerprint();
            var check = step.Output.Check(fingerprint);
            if (check.Status is OutputStatus.Stale or OutputStatus.Unrecorded)
                log.WriteLine($"{layout.Relative(step.Output.Path)}: recomputing, {RunStatus.Reason(check)}");
            digests.Add(fingerprint.Digest());
            if (check.Status != OutputStatus.Complete) return false;
            step.Output.KeepComplete();
            return true;
        }
        while (next < phase.Jobs.Count && Kept(phase.Jobs[next])) next++;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool making = next < phase.Jobs.Count;
        if (making)
            display(where + phase.Title, report =>
            {
                int first = next, count = phase.Jobs.Count - first;
                for (int i = first; i < phase.Jobs.Count; i++)
                {
                    if (i > first && Kept(phase.Jobs[i])) continue;
                    int done = i - first;
                    phase.Jobs[i].Make((fraction, detail) => report((done + fraction) / count, detail), ct);
                }
            });
        manifest.MarkDone(phase.Key, digests, making ? clock.Elapsed.TotalSeconds : null, join: _joinSeconds.GetValueOrDefault(phase.Key));
    }

    private bool StopsHere(List<RoundStats> previous, double batchReward) =>
        loaded.Recipe.Rounds.MinImprovement is double min && previous.Count > 0 && batchReward - previous[^1].BatchReward < min;
}
