using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Merlinite.Trainer.Tests;

/// <summary>Runs the built trainer as a real child process (<c>dotnet Merlinite.Trainer.dll ...</c>), as the CLI will.</summary>
public static class TrainerProcess
{
    /// <summary>The trainer assembly: the test project references it, so the build copies it (with its runtimeconfig) here.</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "Merlinite.Trainer.dll");

    public sealed record Result(int ExitCode, List<JsonElement> Events, string Stdout, string Stderr);

    public static Result Run(params string[] args) => Run(args, killWhen: null);

    /// <summary>
    /// Runs to completion, or until <paramref name="killWhen"/> returns true for an event, at which point the whole
    /// process tree is killed at once (exit code then -1).
    /// </summary>
    public static Result Run(IEnumerable<string> args, Func<JsonElement, bool>? killWhen)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll);
        // The heap the trainer uses when its plan nears the free memory (Runtime/HostHeap): peaks are then what is live,
        // which the memory tests measure.
        start.Environment["MALLOC_MMAP_THRESHOLD_"] = "65536";
        foreach (var a in TrainerArgs.Complete(args)) start.ArgumentList.Add(a);

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var stderrTask = process.StandardError.ReadToEndAsync();
        var stdout = new StringBuilder();
        bool killed = false;
        while (process.StandardOutput.ReadLine() is { } line)
        {
            stdout.AppendLine(line);
            if (killWhen is not null && !killed && killWhen(JsonDocument.Parse(line).RootElement))
            {
                process.Kill(entireProcessTree: true);
                killed = true;
            }
        }
        if (!process.WaitForExit(TimeSpan.FromMinutes(2))) { process.Kill(true); throw new TimeoutException("trainer did not exit"); }
        string text = stdout.ToString();
        return new Result(killed ? -1 : process.ExitCode, TrainerEvents.Parse(text), text, stderrTask.Result);
    }
}
