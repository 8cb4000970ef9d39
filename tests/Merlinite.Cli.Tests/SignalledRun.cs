using System.Diagnostics;
using System.Globalization;

namespace Merlinite.Cli.Tests;

/// <summary>
/// Runs merlinite, waits until it is in the middle of its work, waits a random while more, and sends it a signal as a
/// service manager (SIGTERM) or a closed terminal (SIGHUP) would. The seed of the random while is in every message, so
/// a failure can be replayed (MERLINITE_TEST_SIGNAL_SEED).
/// </summary>
public sealed class SignalledRun
{
    public required int Seed { get; init; }
    public required int ExitCode { get; init; }
    public required string Stderr { get; init; }
    public required string[] Survivors { get; init; }

    /// <summary>The seed from MERLINITE_TEST_SIGNAL_SEED, else a fresh one.</summary>
    public static int NewSeed() =>
        int.TryParse(Environment.GetEnvironmentVariable("MERLINITE_TEST_SIGNAL_SEED"), CultureInfo.InvariantCulture,
            out int s) ? s : Random.Shared.Next();

    /// <param name="busy">true once the command is inside its long work (a file it writes has appeared).</param>
    /// <param name="maxDelay">the random while after that, up to this long.</param>
    /// <param name="marker">a path every process of this command has on its command line (the test's folder): what
    /// is found running with it after the exit is a survivor.</param>
    public static SignalledRun Stop(string signal, string[] args, Func<bool> busy, TimeSpan maxDelay, string marker,
        int seed)
    {
        var psi = new ProcessStartInfo(MerliniteBinary.Path)
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        _ = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (!busy() && !child.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(5);
        Thread.Sleep(new Random(seed).Next((int)maxDelay.TotalMilliseconds + 1));
        // (The message must not read stderr before the exit: an interpolated message is built even when it passes.)
        if (child.HasExited) Assert.Fail($"merlinite {args[0]} ended before the signal (seed {seed}): {stderr.Result}");
        Send(child.Id, signal);
        if (!child.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            child.Kill(entireProcessTree: true);
            Assert.Fail($"merlinite {args[0]} did not stop within 60 s of SIG{signal} (seed {seed})");
        }
        // No grace period: the command stops its children before it exits.
        return new SignalledRun
        {
            Seed = seed, ExitCode = child.ExitCode, Stderr = stderr.Result, Survivors = Running(marker),
        };
    }

    public static void Send(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.True(kill.ExitCode == 0, $"kill -{signal} {pid} failed");
    }

    /// <summary>"PID COMMAND LINE" of every process whose command line mentions <paramref name="marker"/>.</summary>
    public static string[] Running(string marker) =>
        Directory.GetDirectories("/proc").Select(d => (Pid: System.IO.Path.GetFileName(d), Dir: d))
            .Where(p => p.Pid.All(char.IsAsciiDigit)
                        && p.Pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
            .Select(p => (p.Pid, Line: CommandLine(p.Dir)))
            .Where(p => p.Line.Contains(marker, StringComparison.Ordinal))
            .Select(p => $"{p.Pid} {p.Line}").ToArray();

    private static string CommandLine(string procDir)
    {
        try { return File.ReadAllText(System.IO.Path.Combine(procDir, "cmdline")).Replace('\0', ' ').Trim(); }
        catch (IOException) { return ""; } // it ended while we looked
        catch (UnauthorizedAccessException) { return ""; }
    }

    /// <summary>The shell's exit status for a process stopped by <paramref name="signal"/>: 128 + its number.</summary>
    public static int ExitStatus(string signal) => 128 + signal switch { "HUP" => 1, "INT" => 2, "TERM" => 15, _ => 0 };
}
