using System.Globalization;
using System.Text;
using Merlinite.Recipes.Running;
using Merlinite.Recipes.Schema;

namespace Merlinite.Cli.Infrastructure;

/// <summary>
/// Shards as a Slurm array job: one sbatch script per phase and round (kept in RUN_DIR/slurm with the tasks' logs),
/// task K runs `merlinite run … --phase P --round R --shard K/N`, and this process polls squeue until the array has
/// left the queue. Ctrl+C cancels the array (scancel). A task that failed leaves its shard incomplete, which the join
/// reports; a rerun submits again and the finished shards return at once.
/// </summary>
public static class SlurmShards
{
    /// <param name="threads">-t of each task when cluster.cpus_per_task is 0 (0: every core Slurm gives the task).</param>
    public static ShardRunner Runner(string recipe, string runDir, ClusterSettings options, int threads) => (phase, round, count, progress, ct) =>
    {
        string dir = Path.Combine(runDir, "slurm"), name = $"{phase}-round-{round}";
        Directory.CreateDirectory(dir);
        string script = Path.Combine(dir, name + ".sbatch");
        File.WriteAllText(script, Script(recipe, runDir, options, threads, phase, round, count, Path.Combine(dir, name)));
        string job = Tool(["sbatch", "--parsable", script]).Trim().Split(';')[0];
        if (job.Length == 0) throw new InvalidOperationException($"sbatch gave no job id for {script}");
        using (ct.Register(() => TryTool(["scancel", job])))
        {
            ShardStates? last = null;
            while (!ct.IsCancellationRequested && States(job, count) is { } states)
            {
                if (states != last) progress(states);
                last = states;
                Thread.Sleep(500);
            }
        }
        ct.ThrowIfCancellationRequested();
    };

    /// <summary>The array job's script: what a cluster user would write by hand, paths quoted for the shell.</summary>
    public static string Script(string recipe, string runDir, ClusterSettings o, int threads, string phase, int round, int count, string logPrefix)
    {
        int cpus = o.CpusPerTask > 0 ? o.CpusPerTask : threads;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("#!/bin/bash\n");
        sb.Append(inv, $"#SBATCH --job-name=merlinite-{phase}-r{round}\n");
        sb.Append(inv, $"#SBATCH --array=0-{count - 1}\n");
        sb.Append(inv, $"#SBATCH --output={logPrefix}-%a.log\n");
        if (cpus > 0) sb.Append(inv, $"#SBATCH --cpus-per-task={cpus}\n");
        if (o.GpusPerTask > 0) sb.Append(inv, $"#SBATCH --gpus-per-task={o.GpusPerTask}\n");
        if (o.Slurm.Partition is not null) sb.Append(inv, $"#SBATCH --partition={o.Slurm.Partition}\n");
        if (o.Slurm.Account is not null) sb.Append(inv, $"#SBATCH --account={o.Slurm.Account}\n");
        if (o.Slurm.Time is not null) sb.Append(inv, $"#SBATCH --time={o.Slurm.Time}\n");
        // Every argument quoted for the shell except the shard, which the task's shell expands.
        string shard = $"\"$SLURM_ARRAY_TASK_ID/{count}\"";
        var args = ShardCommand.Arguments(recipe, runDir, phase, round, shard, cpus).Select(a => a == shard ? a : Quote(a));
        sb.Append("exec ").Append(Quote(Environment.ProcessPath!)).Append(' ').AppendJoin(' ', args).Append('\n');
        return sb.ToString();
    }

    // Single quotes only where the shell would otherwise split or expand the word.
    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or ':' or '-' or '=') ? s
            : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    // squeue lists the array's tasks while any is pending or running (one line per task, or one "123_[2-3]" line for
    // pending ones); once all have finished (or were purged) it lists none, and this returns null. A task no longer
    // listed has ended; whether it succeeded shows in its output, which the join checks.
    private static ShardStates? States(string job, int count)
    {
        var (code, output) = TryTool(["squeue", "-h", "-r", "-j", job, "-o", "%T"]);
        if (code != 0) return null;
        var states = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (states.Length == 0) return null;
        int running = states.Count(s => s is "RUNNING" or "COMPLETING" or "CONFIGURING");
        int waiting = states.Length - running;
        return new ShardStates(Math.Max(0, count - states.Length), running, waiting, 0);
    }

    private const string Missing = "is Slurm installed on this machine?";

    private static string Tool(string[] args) => ExternalTool.Run(args, Missing);

    private static (int Code, string Output) TryTool(string[] args) => ExternalTool.TryRun(args, Missing);
}
