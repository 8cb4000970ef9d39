using System.Diagnostics;
using System.Globalization;
using Merlinite.Engine.Processes;
using Merlinite.Recipes.Running;

namespace Merlinite.Cli.Infrastructure;

/// <summary>
/// Shards as processes on this machine: `merlinite run RECIPE -o DIR --phase P --round R --shard K/N` each, the CPU
/// threads split between them (on a multi-GPU workstation, one shard per GPU is the same protocol). Waits for all;
/// Ctrl+C stops them (each keeps its finished lines, as a single run does).
/// </summary>
public static class LocalShards
{
    /// <param name="gpusPerTask">when above 0, shard K sees only the K-th group of this many GPUs (CUDA_VISIBLE_DEVICES,
    /// counted in the list this process sees, or from 0).</param>
    public static ShardRunner Runner(string recipe, string runDir, int threads, int gpusPerTask) => (phase, round, count, progress, ct) =>
    {
        int perShard = Math.Max(1, (threads > 0 ? threads : Environment.ProcessorCount) / count);
        var gpus = Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") is { Length: > 0 } visible
            ? visible.Split(',', StringSplitOptions.TrimEntries) : null;
        if (gpusPerTask > 0 && gpus is not null && gpus.Length < gpusPerTask * count)
            throw new InvalidOperationException($"{count} shards x {gpusPerTask} GPUs need {gpusPerTask * count} GPUs; CUDA_VISIBLE_DEVICES lists {gpus.Length}");
        var children = new List<(int Shard, Process Process, Task<string> Stderr)>();
        try
        {
            for (int k = 0; k < count; k++)
            {
                var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
                foreach (var a in ShardCommand.Arguments(recipe, runDir, phase, round, $"{k}/{count}", perShard)) psi.ArgumentList.Add(a);
                if (gpusPerTask > 0)
                    psi.Environment["CUDA_VISIBLE_DEVICES"] = string.Join(',', Enumerable.Range(k * gpusPerTask, gpusPerTask)
                        .Select(i => gpus is null ? i.ToString(CultureInfo.InvariantCulture) : gpus[i]));
                ParentProcess.Adopt(psi);
                var p = Process.Start(psi)!;
                _ = p.StandardOutput.ReadToEndAsync(ct);
                children.Add((k, p, p.StandardError.ReadToEndAsync(CancellationToken.None)));
            }
            using (ct.Register(() => { foreach (var c in children) Stop(c.Process); }))
            {
                ShardStates? last = null;
                while (true)
                {
                    int done = children.Count(c => c.Process.HasExited && c.Process.ExitCode == 0);
                    int broken = children.Count(c => c.Process.HasExited && c.Process.ExitCode != 0);
                    var states = new ShardStates(done, count - done - broken, 0, broken);
                    if (states != last) progress(states);
                    last = states;
                    if (done + broken == count) break;
                    children.First(c => !c.Process.HasExited).Process.WaitForExit(250);
                }
            }
            ct.ThrowIfCancellationRequested();
            if (children.FirstOrDefault(c => c.Process.ExitCode != 0) is { Process: not null } failed)
            {
                string last = failed.Stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "(no message)";
                throw new InvalidOperationException($"shard {failed.Shard}/{count} of round {round}'s {phase} exited with {failed.Process.ExitCode}: {last}");
            }
        }
        finally
        {
            foreach (var c in children) c.Process.Dispose();
        }
    };

    // SIGINT, as Ctrl+C in a terminal would reach a process group: the shard stops cleanly and keeps what it finished.
    private static void Stop(Process p)
    {
        try { if (!p.HasExited) Process.Start("kill", ["-INT", p.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit(); }
        catch (InvalidOperationException) { }
    }
}
