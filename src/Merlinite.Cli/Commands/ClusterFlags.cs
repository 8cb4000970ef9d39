using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Recipes.Schema;

namespace Merlinite.Cli.Commands;

/// <summary>`run`'s flags for the recipe's cluster section: each overrides its key (cluster.shards, cluster.executor,
/// cluster.slurm.partition …), so the flags and the recipe make one <see cref="ClusterSettings"/> with one check.</summary>
public sealed class ClusterFlags
{
    private readonly Option<int?> _shards = new("--shards") { Description = "split each round's sample, reward and held-out eval phases into N shards; the outputs are byte for byte those of one process [default: cluster.shards, else 1]", HelpName = "N" };
    private readonly Option<string?> _executor = new("--executor") { Description = "where the shards run: local (processes here), slurm (an array job through sbatch) or kubernetes (an Indexed Job through kubectl); for a cluster, the run directory and models on shared storage [default: cluster.executor, else local]", HelpName = "local|slurm|kubernetes" };
    private readonly Option<string?> _partition = new("--partition") { Description = "slurm: the partition of the shard tasks (cluster.slurm.partition)" };
    private readonly Option<string?> _account = new("--account") { Description = "slurm: the account charged (cluster.slurm.account)" };
    private readonly Option<string?> _time = new("--time") { Description = "slurm: each shard task's time limit, sbatch --time, e.g. 4:00:00 (cluster.slurm.time)" };
    private readonly Option<int?> _gpus = new("--gpus-per-task") { Description = "GPUs per shard: Slurm's --gpus-per-task, Kubernetes' nvidia.com/gpu, locally CUDA_VISIBLE_DEVICES (cluster.gpus_per_task) [default: 0]", HelpName = "G" };

    public ClusterFlags() => _executor.AcceptOnlyFromAmong("local", "slurm", "kubernetes");

    public IEnumerable<Option> Options => [_shards, _executor, _partition, _account, _time, _gpus];

    /// <summary>The recipe's cluster section with the given flags in place of its keys, checked as a whole.</summary>
    public ClusterSettings Apply(ParseResult parse, ClusterSettings recipe)
    {
        var c = recipe;
        if (parse.GetValue(_shards) is int n) c = c with { Shards = n };
        if (parse.GetValue(_gpus) is int g) c = c with { GpusPerTask = g };
        if (parse.GetValue(_executor) is { } e)
        {
            var executor = e switch
            {
                "slurm" => ShardExecutor.Slurm, "kubernetes" => ShardExecutor.Kubernetes, _ => ShardExecutor.Local,
            };
            // A recipe written for a cluster, run elsewhere on purpose (`--executor local` to try it here): its sbatch
            // options describe the executor it no longer uses, so they are set aside rather than refused. Flags given
            // with it are still checked below.
            if (executor != c.Executor && executor != ShardExecutor.Slurm) c = c with { Slurm = new SlurmSettings() };
            c = c with { Executor = executor };
        }
        c = c with
        {
            Slurm = c.Slurm with
            {
                Partition = parse.GetValue(_partition) ?? c.Slurm.Partition,
                Account = parse.GetValue(_account) ?? c.Slurm.Account,
                Time = parse.GetValue(_time) ?? c.Slurm.Time,
            },
        };
        if (c.Problems().OfType<Engine.Settings.SettingProblem>().FirstOrDefault() is { } p)
            throw new UsageException($"{Name(parse, p.Key)}: {p.Render(k => Name(parse, k))}");
        return c;
    }

    /// <summary>A cluster key as the user gave it: its flag when the flag was given, else the recipe's key.</summary>
    private string Name(ParseResult parse, string key)
    {
        Option? flag = key switch
        {
            "shards" => _shards, "gpus_per_task" => _gpus, "executor" => _executor,
            "slurm.partition" => _partition, "slurm.account" => _account, "slurm.time" => _time, _ => null,
        };
        bool given = flag is not null && parse.GetResult(flag) is { Implicit: false };
        return given ? flag!.Name : $"cluster.{key} in the recipe";
    }
}
