using Merlinite.Engine.Settings;

namespace Merlinite.Recipes.Schema;

/// <summary>What runs the shards of a round's parallel phases.</summary>
public enum ShardExecutor
{
    /// <summary>Processes on this machine (one per GPU on a multi-GPU workstation).</summary>
    Local,
    /// <summary>A Slurm array job per phase (sbatch), on a shared file system.</summary>
    Slurm,
    /// <summary>A Kubernetes Indexed Job per phase (kubectl), on a shared volume.</summary>
    Kubernetes,
}

/// <summary>
/// The recipe's cluster section: how many shards the parallel phases (sample, reward, held-out eval) are split into,
/// and where they run. The command line's flags override it key for key (`run --shards --executor --partition …`).
/// Nothing here changes an output: a sharded run's files are byte for byte those of one process.
/// </summary>
public sealed record ClusterSettings
{
    public ShardExecutor Executor { get; init; } = ShardExecutor.Local;
    /// <summary>Shards per parallel phase; 1: the run's own process does the phase.</summary>
    public int Shards { get; init; } = 1;
    /// <summary>GPUs per shard: Slurm's --gpus-per-task, Kubernetes' nvidia.com/gpu limit; locally, shard K gets the
    /// K-th group of this many of the visible GPUs (CUDA_VISIBLE_DEVICES).</summary>
    public int GpusPerTask { get; init; }
    /// <summary>CPU threads per shard; 0: the run's --threads (locally: split between the shards).</summary>
    public int CpusPerTask { get; init; }
    public SlurmSettings Slurm { get; init; } = new();
    public KubernetesSettings Kubernetes { get; init; } = new();

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return Require.Between("shards", Shards, 1, 10_000);
        yield return Require.AtLeast("gpus_per_task", GpusPerTask, 0);
        yield return Require.AtLeast("cpus_per_task", CpusPerTask, 0);
        // sbatch options that would silently do nothing: the recipe and the flags refuse them alike.
        if (Executor != ShardExecutor.Slurm)
            foreach (var (key, value) in new[]
                     { ("partition", Slurm.Partition), ("account", Slurm.Account), ("time", Slurm.Time) })
                if (value is not null)
                    yield return new SettingProblem("slurm." + key,
                        $"is for the slurm executor; the executor here is {Executor.ToString().ToLowerInvariant()}");
        if (Executor == ShardExecutor.Kubernetes)
            foreach (var p in Kubernetes.Problems()) yield return p is null ? null : p with { Key = "kubernetes." + p.Key };
    }
}

/// <summary>sbatch options of the shard tasks; null leaves the cluster's default.</summary>
public sealed record SlurmSettings
{
    public string? Partition { get; init; }
    public string? Account { get; init; }
    /// <summary>Each task's time limit, sbatch --time (e.g. 4:00:00).</summary>
    public string? Time { get; init; }
}

/// <summary>The Indexed Job's pod: the image with merlinite in it, and the shared volume that holds the run directory,
/// the recipe and the models at the same paths as on the machine that starts the run.</summary>
public sealed record KubernetesSettings
{
    public string? Image { get; init; }
    /// <summary>null: kubectl's current namespace.</summary>
    public string? Namespace { get; init; }
    /// <summary>The PersistentVolumeClaim (ReadWriteMany) with the run directory, the recipe and the models.</summary>
    public string? VolumeClaim { get; init; }
    /// <summary>Where the claim is mounted in the pod: the same absolute path it has on the machine that starts the run.</summary>
    public string? MountPath { get; init; }
    /// <summary>merlinite inside the image.</summary>
    public string Command { get; init; } = "merlinite";

    public IEnumerable<SettingProblem?> Problems()
    {
        if (string.IsNullOrWhiteSpace(Image)) yield return new SettingProblem("image", "is required for the kubernetes executor (the image with merlinite in it)");
        if (string.IsNullOrWhiteSpace(VolumeClaim)) yield return new SettingProblem("volume_claim", "is required for the kubernetes executor (the shared PersistentVolumeClaim that holds the run directory)");
        if (string.IsNullOrWhiteSpace(MountPath)) yield return new SettingProblem("mount_path", "is required for the kubernetes executor (where the claim is mounted, the same path as here)");
        else if (!MountPath.StartsWith('/')) yield return new SettingProblem("mount_path", $"must be an absolute path (got '{MountPath}')");
        if (string.IsNullOrWhiteSpace(Command)) yield return new SettingProblem("command", "must name merlinite inside the image");
    }
}
