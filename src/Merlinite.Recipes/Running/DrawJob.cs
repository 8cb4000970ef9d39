using Merlinite.Engine.Data;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Outputs;
using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes.Running;

/// <summary>A prompt file drawn from the recipe's prompt pool: the held-out split (round null) or a round's prompts.
/// </summary>
public sealed class DrawJob(string output, string kind, int? round, PromptSettings prompts, IReadOnlyList<string> files,
    string? system, Func<IReadOnlyList<PromptItem>> draw) : WholeFileJob
{
    public override OutputFile Output => new(output);
    public override IReadOnlyList<string> Inputs => [];

    public override Fingerprint Fingerprint()
    {
        var f = new Fingerprint(kind).AddFiles("prompts.files", files).Add("prompts.held_out", prompts.HeldOut)
            .Add("prompts.seed", prompts.Seed).Add("prompts.system", system);
        return round is int r ? f.Add("prompts.per_round", prompts.PerRound).Add("round", r) : f;
    }

    protected override void Write(Action<double, string?> report, CancellationToken ct) =>
        AtomicFile.WriteAllLines(output, draw().Select(PromptFile.Format));
}
