using System.Globalization;
using System.Runtime.InteropServices;

namespace Merlinite.Trainer.Runtime;

/// <summary>
/// The trainer stops when the merlinite process that started it is gone, even when that one was killed with SIGKILL
/// and could not stop it: otherwise it would keep writing checkpoints that a rerun then races. The parent names
/// itself in MERLINITE_PARENT_PID (Merlinite.Engine's ParentProcess, which this separate program cannot reference);
/// a trainer started by hand has no such variable and is left alone. Checkpoints are written to a temporary file and
/// renamed, so stopping at any moment leaves the last whole one.
/// </summary>
public static class ParentWatch
{
    private const string Variable = "MERLINITE_PARENT_PID";

    public static void Start()
    {
        if (!OperatingSystem.IsLinux() ||
            !int.TryParse(Environment.GetEnvironmentVariable(Variable), NumberStyles.None, CultureInfo.InvariantCulture,
                out int parent)) return;
        if (getppid() != parent) Orphaned(parent); // gone before we started
        new Thread(() =>
        {
            while (getppid() == parent) Thread.Sleep(500); // bounds how long an orphan keeps working
            Orphaned(parent);
        }) { IsBackground = true, Name = "parent-watch" }.Start();
    }

    private static void Orphaned(int parent)
    {
        Console.Error.WriteLine($"merlinite-trainer: the process that started it ({parent}) is gone; stopping");
        _exit(143); // at once: nobody reads the output, and libtorch's threads need no goodbye
    }

    [DllImport("libc")]
    private static extern int getppid();

    [DllImport("libc")]
    private static extern void _exit(int status);
}
