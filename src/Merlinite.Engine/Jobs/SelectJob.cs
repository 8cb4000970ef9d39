using Merlinite.Engine.Data;
using Merlinite.Engine.Outputs;

namespace Merlinite.Engine.Jobs;

/// <summary>Best-of-N selection: per prompt, the sample with the highest reward, if it passes the rule, into a winner
/// file (the SFT data of the next round).</summary>
public sealed class SelectJob(string samples, string rewards, string winners, SelectionRule rule) : WholeFileJob
{
    public override OutputFile Output => new(winners);
    public override IReadOnlyList<string> Inputs => [samples, rewards];

    public override Fingerprint Fingerprint() => new Fingerprint("select").AddFile("samples", samples)
        .AddFile("rewards", rewards).Add("min_reward", rule.MinReward).Add("min_margin", rule.MinMargin);

    /// <summary>The winners and the round's reward figures, from the input files.</summary>
    public (IReadOnlyList<Winner> Winners, SelectionStats Stats) Select() =>
        Selection.BestOfN(SampleFile.Read(samples), RewardFile.Read(rewards), rule);

    protected override void Write(Action<double, string?> report, CancellationToken ct) =>
        AtomicFile.WriteAllLines(winners, Select().Winners.Select(WinnerFile.Format));
}
