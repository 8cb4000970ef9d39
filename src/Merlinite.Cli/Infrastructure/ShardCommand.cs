using System.Globalization;

namespace Merlinite.Cli.Infrastructure;

/// <summary>The command line of one shard task, `run RECIPE -o RUN_DIR --phase P --round R --shard K/N -t T`, in one
/// place for every executor (local processes, Slurm array tasks).</summary>
public static class ShardCommand
{
    /// <param name="shard">"K/N", or what the executor's shell expands to it (Slurm: "$SLURM_ARRAY_TASK_ID/N").</param>
    public static string[] Arguments(string recipe, string runDir, string phase, int round, string shard, int threads) =>
        ["run", recipe, "-o", runDir, "--phase", phase, "--round", round.ToString(CultureInfo.InvariantCulture),
         "--shard", shard, "-t", threads.ToString(CultureInfo.InvariantCulture),
         .. (Engine.Reproducibility.ReproducibleMode.IsOn ? new[] { "--reproducible" } : [])];
}
