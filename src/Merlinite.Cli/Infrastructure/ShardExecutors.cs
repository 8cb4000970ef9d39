using Merlinite.Recipes.Running;
using Merlinite.Recipes.Schema;

namespace Merlinite.Cli.Infrastructure;

/// <summary>The shard runner of a run's cluster settings: none for one shard, else the executor's.</summary>
public static class ShardExecutors
{
    public static Sharding? For(ClusterSettings cluster, string recipe, string runDir, int threads) => cluster.Shards <= 1 ? null
        : new Sharding(cluster.Shards, cluster.Executor switch
        {
            ShardExecutor.Slurm => SlurmShards.Runner(recipe, runDir, cluster, threads),
            ShardExecutor.Kubernetes => KubernetesShards.Runner(recipe, runDir, cluster, threads),
            _ => LocalShards.Runner(recipe, runDir, threads, cluster.GpusPerTask),
        });
}
