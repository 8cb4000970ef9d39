using System.Diagnostics;
using System.Globalization;
using System.Text;
using Merlinite.Recipes.Running;

namespace Merlinite.Cli.Infrastructure;

/// <summary>Where and how shard tasks run on Slurm (sbatch's own options; null leaves the cluster's default).</summary>
public sealed record SlurmOptions(string? Partition, string? Account, string? Time, int GpusPerTask, int CpusPerTask);

/// <summary>
/// Shards as a Slurm array job: one sbatch script per phase and round (kept in RUN_DIR/slurm with the tasks' logs),
/// task K runs `merlinite run … --phase P --round R --shard K/N`, and this process polls squeue until the array has
/// left the queue. Ctrl+C cancels the array (scancel). A task that failed leaves its shard incomplete, which the join
/// reports; a rerun submits again and the finished shards return at once.
/// </summary>
public static class SlurmShards
{
    public static ShardRunner Runner(string recipe, string runDir, SlurmOptions options) => (phase, round, count, ct) =>
    {
        string dir = Path.Combine(runDir, "slurm"), name = $"{phase}-round-{round}";
        Directory.CreateDirectory(dir);
        string script = Path.Combine(dir, name + ".sbatch");
        File.WriteAllText(script, Script(recipe, runDir, options, phase, round, count, Path.Combine(dir, name)));
        string job = Tool(["sbatch", "--parsable", script]).Trim().Split(';')[0];
        if (job.Length == 0) throw new InvalidOperationException($"sbatch gave no job id for {script}");
        using (ct.Register(() => TryTool(["scancel", job])))
        {
            while (!ct.IsCancellationRequested && Queued(job)) Thread.Sleep(500);
        }
        ct.ThrowIfCancellationRequested();
    };

    /// <summary>The array job's script: what a cluster user would write by hand, paths quoted for the shell.</summary>
    public static string Script(string recipe, string runDir, SlurmOptions o, string phase, int round, int count, string logPrefix)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("#!/bin/bash\n");
        sb.Append(inv, $"#SBATCH --job-name=merlinite-{phase}-r{round}\n");
        sb.Append(inv, $"#SBATCH --array=0-{count - 1}\n");
        sb.Append(inv, $"#SBATCH --output={logPrefix}-%a.log\n");
        sb.Append(inv, $"#SBATCH --cpus-per-task={o.CpusPerTask}\n");
        if (o.GpusPerTask > 0) sb.Append(inv, $"#SBATCH --gpus-per-task={o.GpusPerTask}\n");
        if (o.Partition is not null) sb.Append(inv, $"#SBATCH --partition={o.Partition}\n");
        if (o.Account is not null) sb.Append(inv, $"#SBATCH --account={o.Account}\n");
        if (o.Time is not null) sb.Append(inv, $"#SBATCH --time={o.Time}\n");
        // Every argument quoted for the shell except the shard, which the task's shell expands.
        string shard = $"\"$SLURM_ARRAY_TASK_ID/{count}\"";
        var args = ShardCommand.Arguments(recipe, runDir, phase, round, shard, o.CpusPerTask).Select(a => a == shard ? a : Quote(a));
        sb.Append("exec ").Append(Quote(Environment.ProcessPath!)).Append(' ').AppendJoin(' ', args).Append('\n');
        return sb.ToString();
    }

    // Single quotes only where the shell would otherwise split or expand the word.
    private static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or ':' or '-' or '=') ? s
            : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    // squeue lists the array's tasks while any is pending or running; once finished (or purged) it lists none.
    private static bool Queued(string job)
    {
        var (code, output) = TryTool(["squeue", "-h", "-j", job, "-o", "%i"]);
        return code == 0 && output.Trim().Length > 0;
    }

    private static string Tool(string[] args)
    {
        var (code, output) = TryTool(args);
        if (code != 0) throw new InvalidOperationException($"{args[0]} failed (exit {code}): {output.Trim()}");
        return output;
    }

    private static (int Code, string Output) TryTool(string[] args)
    {
        var psi = new ProcessStartInfo(args[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args.Skip(1)) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, p.ExitCode == 0 ? output : err.Result + output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (127, $"{args[0]} not found ({e.Message}); is Slurm installed on this machine?");
        }
    }
}
