using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Merlinite.Engine.Processes;

/// <summary>
/// No child of ours outlives its parent. A parent that is stopped cleanly stops its children itself; one killed with
/// SIGKILL (or OOM-killed) cannot, and its children are handed to init. So every child we start (the trainer, local
/// shards) is told its parent's pid, and watches for being re-parented: then it stops as if it had been interrupted.
/// Only children started this way watch: a `merlinite` run under nohup is re-parented on purpose.
/// </summary>
public static partial class ParentProcess
{
    /// <summary>Set in a child's environment to the pid of the process that started it (and reads its
    /// output).</summary>
    public const string Variable = "MERLINITE_PARENT_PID";

    // Polling is the portable way (PR_SET_PDEATHSIG fires when the *thread* that forked exits, and .NET forks from
    // whichever pool thread ran Process.Start); half a second bounds how long an orphan keeps writing.
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <summary>Marks <paramref name="child"/> as ours, so it stops when this process is gone.</summary>
    public static void Adopt(ProcessStartInfo child) =>
        child.Environment[Variable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    /// <summary>When this process was started by a merlinite parent, calls <paramref name="orphaned"/> once the parent
    /// is gone (from a background thread). Does nothing for a process started any other way.</summary>
    public static void WatchIfAdopted(Action orphaned)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        if (!int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture,
                out int parent)) return;
        // The variable is inherited by grandchildren that were not adopted; it speaks only of our own parent.
        Environment.SetEnvironmentVariable(Variable, null);
        if (getppid() != parent) { orphaned(); return; }
        var watcher = new Thread(() =>
        {
            while (getppid() == parent) Thread.Sleep(Poll);
            orphaned();
        }) { IsBackground = true, Name = "parent-watch" };
        watcher.Start();
    }

    [LibraryImport("libc")]
    private static partial int getppid();
}
