using System.Diagnostics;

namespace Merlinite.Cli.Infrastructure;

/// <summary>Runs a cluster's command-line tool (sbatch, squeue, kubectl …) and returns its exit code and output (its
/// error output when it failed); a tool that is not installed is exit code 127 with <paramref name="missing"/> as the
/// message.</summary>
public static class ExternalTool
{
    public static (int Code, string Output) TryRun(string[] args, string missing)
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
            return (127, $"{args[0]} not found ({e.Message}); {missing}");
        }
    }

    /// <summary>The tool's output; a failure is an error naming the tool and what it said.</summary>
    public static string Run(string[] args, string missing)
    {
        var (code, output) = TryRun(args, missing);
        if (code != 0) throw new InvalidOperationException($"{args[0]} {args.ElementAtOrDefault(1)} failed (exit {code}): {output.Trim()}");
        return output;
    }
}
