using Merlinite.Engine.Jobs;
using Merlinite.Engine.Outputs;

namespace Merlinite.Recipes.Running;

/// <summary>A job made by shard processes and then the join of their outputs under the one-process job's record (the
/// shard files go once joined, so the run folder is that of a one-process run).</summary>
public sealed class ShardedJob(IJob job, Sharding sharding, string phase, int round, IEnumerable<ShardedOutput> outputs,
    Action<TimeSpan> joined) : IJob
{
    public OutputFile Output => job.Output;
    public IReadOnlyList<string> Inputs => job.Inputs;
    public Fingerprint Fingerprint() => job.Fingerprint();

    public void Make(Action<double, string?> report, CancellationToken ct)
    {
        report(0, $"{sharding.Count} shards starting");
        sharding.Runner(phase, round, sharding.Count, states => report((double)states.Done / sharding.Count,
            states.ToString()), ct);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ShardMerge.Join(sharding.Count, [.. outputs]);
        joined(clock.Elapsed);
        report(1, $"{sharding.Count} shards joined in {clock.Elapsed.TotalMilliseconds:F0} ms");
    }
}
