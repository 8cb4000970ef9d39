using Spectre.Console;

namespace Merlinite.Cli.Infrastructure;

/// <summary>Where long work reports how far it got.</summary>
public interface IProgressSink
{
    /// <param name="fraction">0..1 of the whole task.</param>
    void Report(double fraction, string? detail = null);
}

/// <summary>
/// Progress goes to stderr so stdout stays clean for data. On a terminal it is a live bar with ETA;
/// when stderr is redirected (CI, logs) it is a plain line every 10%.
/// </summary>
public static class ProgressDisplay
{
    public static T Run<T>(string title, Func<IProgressSink, T> work)
    {
        if (Console.IsErrorRedirected || Environment.GetEnvironmentVariable("MERLINITE_PLAIN_PROGRESS") == "1")
            return work(new PlainSink(title));

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1.0);
                var result = work(new SpectreSink(task, title));
                task.Value = 1.0;
                return result;
            });
    }

    /// <summary>One phase of a longer job (a recipe phase): <paramref name="work"/> reports (fraction, detail).</summary>
    public static void Phase(string title, Action<Action<double, string?>> work) =>
        Run(title, sink => { work((fraction, detail) => sink.Report(fraction, detail)); return 0; });

    private sealed class SpectreSink(ProgressTask task, string title) : IProgressSink
    {
        public void Report(double fraction, string? detail)
        {
            task.Value = Math.Clamp(fraction, 0, 1);
            task.Description = Markup.Escape(detail is null ? title : $"{title} {detail}");
        }
    }

    private sealed class PlainSink(string title) : IProgressSink
    {
        private int _lastDecile = -1;

        public void Report(double fraction, string? detail)
        {
            int decile = (int)(Math.Clamp(fraction, 0, 1) * 10);
            if (decile <= _lastDecile) return;
            _lastDecile = decile;
            Console.Error.WriteLine($"{title}: {decile * 10}%{(detail is null ? "" : " " + detail)}");
        }
    }
}
