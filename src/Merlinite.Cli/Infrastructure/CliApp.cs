using System.CommandLine;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Settings;

namespace Merlinite.Cli.Infrastructure;

/// <summary>Parses, dispatches and turns every failure into a one-line message and an exit code.</summary>
public static class CliApp
{
    public static int Run(string[] args, RootCommand root)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line: the error that names what the user typed (System.CommandLine reports a mistake once per token).
            var error = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
            Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine($"See '{CommandPath(parse)} --help'.");
            return ExitCodes.UsageError;
        }

        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            if (Volatile.Read(ref _interruptHandler) is { } handler)
            {
                e.Cancel = true;
                handler();
                return;
            }
            // First Ctrl+C asks the running command to stop cleanly; a second one kills the process.
            if (cts.IsCancellationRequested) return;
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cts.Token)
                .GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Console.Error.WriteLine("interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception ex)
        {
            return Report(ex);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static Action? _interruptHandler;

    /// <summary>While the returned scope lives, Ctrl+C calls <paramref name="onInterrupt"/> instead of stopping the
    /// command (the chat REPL stops the running reply and goes on).</summary>
    public static IDisposable RouteInterrupts(Action onInterrupt)
    {
        Volatile.Write(ref _interruptHandler, onInterrupt);
        return new InterruptScope();
    }

    private sealed class InterruptScope : IDisposable
    {
        public void Dispose() => Volatile.Write(ref _interruptHandler, null);
    }

    private static int Report(Exception ex)
    {
        var (code, message) = ex switch
        {
            UsageException => (ExitCodes.UsageError, ex.Message),
            SettingException s => (ExitCodes.UsageError, string.Join(Environment.NewLine + "error: ", s.Problems.Select(Messages.Setting))),
            StaleOutputException s => (ExitCodes.UsageError, Messages.Stale(s)),
            OutputPathException o => (ExitCodes.UsageError, Messages.OutputPath(o)),
            ArgumentException => (ExitCodes.UsageError, ex.Message),
            _ => (ExitCodes.RuntimeError, ex.Message),
        };
        Console.Error.WriteLine($"error: {message}");
        if (Environment.GetEnvironmentVariable("MERLINITE_DEBUG") == "1") Console.Error.WriteLine(ex.ToString());
        return code;
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, r.Command.Name);
        if (names.Count > 0) names[0] = "merlinite";
        return string.Join(' ', names);
    }
}
