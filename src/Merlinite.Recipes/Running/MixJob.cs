using Merlinite.Engine.Jobs;
using Merlinite.Engine.Outputs;

namespace Merlinite.Recipes.Running;

/// <summary>An SFT phase's data in LAB: its own generated data with a replayed share of the earlier phases'.</summary>
public sealed class MixJob(string output, string own, IReadOnlyList<string> earlier, double replay, int seed)
    : WholeFileJob
{
    public override OutputFile Output => new(output);
    public override IReadOnlyList<string> Inputs => [own, .. earlier];

    public override Fingerprint Fingerprint() => new Fingerprint("lab-data").AddFile("data", own)
        .AddFiles("earlier", earlier).Add("replay", replay).Add("seed", seed);

    protected override void Write(Action<double, string?> report, CancellationToken ct) =>
        AtomicFile.WriteAllLines(output, ReplayMix.Lines(own, earlier, replay, seed));
}
