namespace Merlinite.Recipes.Running;

/// <summary>How far the shards of a phase are: finished, running, waiting for a slot, failed (what the executor knows).</summary>
public readonly record struct ShardStates(int Done, int Running, int Waiting, int Failed)
{
    public override string ToString()
    {
        var parts = new List<string> { $"{Done} of {Done + Running + Waiting + Failed} shards done" };
        if (Running > 0) parts.Add($"{Running} running");
        if (Waiting > 0) parts.Add($"{Waiting} waiting");
        if (Failed > 0) parts.Add($"{Failed} failed");
        return string.Join(", ", parts);
    }
}

/// <summary>Runs shards 0..count-1 of a round's phase to completion (each as `merlinite run … --phase P --round R
/// --shard K/N` somewhere: local processes, a cluster's array job) and returns when all have finished, reporting their
/// states as they change; throws, naming the shard, when one failed. Shards that finished before are found complete by
/// their own records and not redone.</summary>
public delegate void ShardRunner(string phase, int round, int count, Action<ShardStates> progress, CancellationToken ct);

/// <summary>How many shards the parallel phases (sample, reward, held-out eval) are split into, and what runs them.</summary>
public sealed record Sharding(int Count, ShardRunner Runner);
