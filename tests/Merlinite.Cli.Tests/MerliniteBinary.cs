using System.Diagnostics;

namespace Merlinite.Cli.Tests;

public sealed record RunResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs the published AOT binary (bin/merlinite), the thing users run, rather than the managed entry point:
/// exit codes, stdout/stderr separation and native-library loading are part of what is tested.
/// </summary>
public static class MerliniteBinary
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Path
    {
        get
        {
            var p = System.IO.Path.Combine(RepoRoot, "bin", "merlinite");
            if (!File.Exists(p)) throw new InvalidOperationException($"{p} is missing: run ./build.sh (or ./build.sh test) first");
            return p;
        }
    }

    public static RunResult Run(params string[] args) => RunWithInput(null, args);

    public static RunResult RunWithInput(string? stdin, params string[] args) => RunWithEnvironment(stdin, new Dictionary<string, string>(), args);

    public static RunResult RunWithEnvironment(string? stdin, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        return Collect(p, stdin, $"merlinite {string.Join(' ', args)}");
    }

    /// <summary>How long a command may print nothing before it counts as stuck. Not a limit on how long it may run:
    /// a busy machine makes the tiny world take minutes, but every long task prints a progress line at least every
    /// 30 s when not on a terminal (README), so five silent minutes mean something hangs.</summary>
    public static readonly TimeSpan Silence = TimeSpan.FromMinutes(5);

    /// <summary>Feeds <paramref name="stdin"/>, gathers both outputs, and waits for the exit, killing the process tree
    /// after <see cref="Silence"/> without output.</summary>
    public static RunResult Collect(Process p, string? stdin, string what)
    {
        long lastOutput = Environment.TickCount64;
        async Task<string> Drain(StreamReader reader)
        {
            var text = new System.Text.StringBuilder();
            var buffer = new char[4096];
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0)
            {
                text.Append(buffer, 0, n);
                Interlocked.Exchange(ref lastOutput, Environment.TickCount64);
            }
            return text.ToString();
        }
        var stdout = Drain(p.StandardOutput);
        var stderr = Drain(p.StandardError);
        if (p.StartInfo.RedirectStandardInput)
        {
            if (stdin is not null) p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        while (!p.WaitForExit(1000))
        {
            if (Environment.TickCount64 - Interlocked.Read(ref lastOutput) < Silence.TotalMilliseconds) continue;
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} printed nothing for {Silence.TotalMinutes} minutes:\n{stderr.Result}");
        }
        return new RunResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(System.IO.Path.Combine(d.FullName, "Merlinite.Native.sln"))) return d.FullName;
        throw new InvalidOperationException("cannot find the repository root (Merlinite.Native.sln) above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary folder per test class, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("merlinite-test-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}
