using System.Diagnostics;

namespace Merlinite.Cli.Tests;

/// <summary>
/// A real one-node Slurm cluster on this machine for a test: munged, slurmctld and slurmd with their own key, ports,
/// state and logs under a temp folder (slurm-wlm and munge from Debian; `./build.sh test` installs them), stopped by
/// their process ids at the end. Commands reach it through <see cref="Environment"/> (SLURM_CONF).
/// </summary>
public sealed class OneNodeSlurm : IDisposable
{
    private readonly string _dir;

    public IReadOnlyDictionary<string, string> Environment { get; }

    public OneNodeSlurm(string dir)
    {
        _dir = dir;
        foreach (var sub in new[] { "state", "spool", "log" }) Directory.CreateDirectory(Path.Combine(dir, sub));
        var key = new byte[1024];
        Random.Shared.NextBytes(key);
        File.WriteAllBytes(Path.Combine(dir, "munge.key"), key);
        File.SetUnixFileMode(Path.Combine(dir, "munge.key"), UnixFileMode.UserRead);
        string conf = Path.Combine(dir, "slurm.conf");
        File.WriteAllText(conf, $"""
            ClusterName=merlinite
            SlurmctldHost=localhost
            SlurmUser=root
            SlurmdUser=root
            AuthType=auth/munge
            AuthInfo=socket={dir}/munge.sock
            CredType=cred/munge
            StateSaveLocation={dir}/state
            SlurmdSpoolDir={dir}/spool
            SlurmctldPidFile={dir}/slurmctld.pid
            SlurmdPidFile={dir}/slurmd.pid
            SlurmctldLogFile={dir}/log/slurmctld.log
            SlurmdLogFile={dir}/log/slurmd.log
            SlurmctldPort={ServerProcess.FreePort()}
            SlurmdPort={ServerProcess.FreePort()}
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core
            SchedulerType=sched/builtin
            MpiDefault=none
            ReturnToService=2
            JobCompType=jobcomp/none
            AccountingStorageType=accounting_storage/none
            JobAcctGatherType=jobacct_gather/none
            NodeName=localhost CPUs={System.Environment.ProcessorCount} RealMemory=2000 State=UNKNOWN
            PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP

            """);
        Environment = new Dictionary<string, string> { ["SLURM_CONF"] = conf };
        Start("munged", "-f", $"--socket={dir}/munge.sock", $"--key-file={dir}/munge.key", $"--log-file={dir}/log/munged.log",
            $"--pid-file={dir}/munged.pid", $"--seed-file={dir}/munge.seed");
        Start("slurmctld");
        Start("slurmd");
        var clock = Stopwatch.StartNew();
        while (Run("sinfo", "-h", "-o", "%T").Trim() != "idle")
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
                throw new TimeoutException("the one-node Slurm did not become idle in 30 s: " + File.ReadAllText(Path.Combine(dir, "log", "slurmctld.log")));
            Thread.Sleep(200);
        }
    }

    private void Start(string daemon, params string[] args)
    {
        var psi = new ProcessStartInfo(daemon) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!; // each daemonizes: the started process returns once the daemon runs
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{daemon} did not start (exit {p.ExitCode}): {err}");
    }

    public string Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Environment) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }

    public void Dispose()
    {
        foreach (var pidFile in new[] { "slurmd.pid", "slurmctld.pid", "munged.pid" })
        {
            string path = Path.Combine(_dir, pidFile);
            if (!File.Exists(path) || !int.TryParse(File.ReadAllText(path).Trim(), out int pid)) continue;
            try
            {
                using var p = Process.GetProcessById(pid);
                p.Kill();
                p.WaitForExit(10_000);
            }
            catch (ArgumentException) { } // already gone
        }
    }
}
