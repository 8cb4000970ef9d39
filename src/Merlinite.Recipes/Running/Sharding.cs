namespace Merlinite.Recipes.Running;

/// <summary>Runs shards 0..count-1 of a round's phase to completion (each as `merlinite run … --phase P --round R
/// --shard K/N` somewhere: local processes, a cluster's array job) and returns when all have finished; throws, naming
/// the shard, when one failed. Shards that finished before are found complete by their own records and not redone.</summary>
public delegate void ShardRunner(string phase, int round, int count, CancellationToken ct);

/// <summary>How many shards the parallel phases are split into, and what runs them.</summary>
public sealed record Sharding(int Count, ShardRunner Runner);
