using System.CommandLine;
using System.Runtime.InteropServices;
using Merlinite.Engine.Processes;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Settings;

namespace Merlinite.Cli.Infrastructure;

/// <summary>Parses, dispatches and turns every failure into a one-line message and an exit code.</summary>
public static class CliApp
{
    public static int Run(string[] args, RootCommand root)
    {
        // `merlinite` alone lists the commands; `merlinite help [COMMAND…]` is `merlinite [COMMAND…] --help`.
        if (args.Length == 0) args = ["--help"];
        else if (args[0] == "help") args = [.. args[1..], "--help"];
        var parse = root.Parse(args);
        // --help clears the parse errors (System.CommandLine), so `help chta` would print the root help and exit 0:
        // a word nothing matched is an error with or without it.
        if (parse.Errors.Count > 0 || parse.UnmatchedTokens.Count > 0 || MistypedOption(parse) is not null)
        {
            Console.Error.WriteLine($"error: {ParseError(parse)}");
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
        // SIGTERM (timeout, systemd, scancel, container stops) and SIGHUP (a closed terminal) stop the command as the
        // first Ctrl+C does: children stopped, finished work kept, the same message. A second one is not caught.
        int signal = 0;
        Action<PosixSignalContext> onSignal = context =>
        {
            if (cts.IsCancellationRequested) return;
            context.Cancel = true;
            signal = context.Signal == PosixSignal.SIGTERM ? 15 : 1;
            cts.Cancel();
            // A command that is not watching for cancellation (the chat REPL waiting for a key) still ends; the others
            // are gone long before (a service manager's own stop timeout is 90 s by default).
            _ = Task.Delay(SignalGrace).ContinueWith(_ =>
            {
                Console.Error.WriteLine(
                    $"stopped: the command did not end by itself within {SignalGrace.TotalSeconds:F0} s");
                Environment.Exit(128 + signal);
            }, TaskScheduler.Default);
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, onSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, onSignal);
        ParentProcess.WatchIfAdopted(() =>
        {
            try { cts.Cancel(); } catch (ObjectDisposedException) { } // the command had ended already
        });
        try
        {
            TurnOnReproducibleMode(parse);
            return parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cts.Token)
                .GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Console.Error.WriteLine($"interrupted: {KeptAfterInterrupt(parse)}");
            // The shell's convention, 128 + the signal, so scripts and supervisors see which one stopped it.
            return signal == 0 ? ExitCodes.Interrupted : 128 + signal;
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

    /// <summary>--reproducible decides which llama.cpp the process loads, so it takes effect before the command runs
    /// (a recipe's `reproducible: true` is read by the run command, before it loads anything).</summary>
    private static void TurnOnReproducibleMode(ParseResult parse)
    {
        var options = parse.CommandResult.Command.Options.OfType<Option<bool>>();
        if (options.FirstOrDefault(o => o.Name == "--reproducible") is { } option && parse.GetValue(option))
            Engine.Reproducibility.ReproducibleMode.TurnOn();
    }

    private static Action? _interruptHandler;
    private static readonly TimeSpan SignalGrace = TimeSpan.FromSeconds(30);

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
            ArgumentException or Engine.Packing.PackException => (ExitCodes.UsageError, ex.Message),
            _ => (ExitCodes.RuntimeError, ex.Message),
        };
        Console.Error.WriteLine($"error: {message}");
        if (Environment.GetEnvironmentVariable("MERLINITE_DEBUG") == "1") Console.Error.WriteLine(ex.ToString());
        return code;
    }

    /// <summary>One line for what went wrong: an unknown option or command first (System.CommandLine reports one
    /// error per token, and a mistyped option's value as unrecognized too), with the nearest real name.</summary>
    private static string ParseError(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var unknown = parse.UnmatchedTokens.AsEnumerable();
        foreach (var token in MistypedOption(parse) is { } mistyped ? unknown.Prepend(mistyped) : unknown)
        {
            string what = token.StartsWith('-') ? "option" : command.Subcommands.Any() ? "command" : "argument";
            string? near = Suggestions.Closest(command, token);
            if (near is null && !token.StartsWith('-') && !command.Subcommands.Any()) continue; // a stray value: the other errors say more
            return $"unknown {what} '{token}' for '{CommandPath(parse)}'" + (near is null ? "" : $"; did you mean {near}?");
        }
        // An option given without its value first: it is what the user typed last, and it explains a "required"
        // complaint that follows ("sample --out" takes the next flag for its value).
        var errors = parse.Errors.Select(e => e.Message)
            .OrderBy(m => m.Contains(" is required", StringComparison.Ordinal)).ToList();
        string kind = command.Subcommands.Any() ? "command" : "argument";
        return errors.Count > 0 ? Messages.Parse(errors[0])
            : $"unknown {kind} '{parse.UnmatchedTokens[0]}' for '{CommandPath(parse)}'";
    }

    /// <summary>A "--name" that no option has, taken as a positional value (chat's MODEL, run's RECIPE): System.CommandLine
    /// accepts it as a file name, but nobody names a file "--threds".</summary>
    private static string? MistypedOption(ParseResult parse) =>
        parse.CommandResult.Children.OfType<System.CommandLine.Parsing.ArgumentResult>()
            .SelectMany(a => a.Tokens).Select(t => t.Value)
            .FirstOrDefault(v => v.StartsWith("--", StringComparison.Ordinal) && v.Length > 2);

    /// <summary>What an interrupted command leaves, and how to go on: resumable outputs keep finished lines in
    /// OUT.partial, and the same command continues after them.</summary>
    private static string KeptAfterInterrupt(ParseResult parse)
    {
        var outOption = parse.CommandResult.Command.Options.FirstOrDefault(o => o.Name == "--out");
        string? output = outOption is null ? null : parse.GetResult(outOption)?.Tokens.FirstOrDefault()?.Value;
        if (output is not null && File.Exists(output + ".partial"))
        {
            int lines = 0;
            try { lines = File.ReadLines(output + ".partial").Count(l => l.Length > 0); } catch (IOException) { }
            return $"{lines} finished line{(lines == 1 ? "" : "s")} kept in {output}.partial; run the same command again to continue after them";
        }
        return parse.CommandResult.Command.Name == "run"
            ? "the finished phases are kept; run the same command again to continue"
            : "run the same command again to continue (work that can be reused is kept)";
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
