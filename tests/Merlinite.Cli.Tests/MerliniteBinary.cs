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
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"merlinite {string.Join(' ', args)} did not finish in 10 minutes");
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
