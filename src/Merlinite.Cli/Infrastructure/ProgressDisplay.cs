using System.Diagnostics;
using Merlinite.Engine.Jobs;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Merlinite.Cli.Infrastructure;

/// <summary>Where long work reports how far it got.</summary>
public interface IProgressSink
{
    /// <param name="fraction">0..1 of the whole task.</param>
    void Report(double fraction, string? detail = null);
}

/// <summary>
/// Progress goes to stderr so stdout stays clean for data. On a terminal it is a live bar with the time spent and the
/// time left. Redirected (CI, logs, `./build.sh run`), a task of a second or more writes one line when it ends, with its
/// time and last figures; one that runs longer than 10 s also says when it started, and every 30 s how far it is.
/// </summary>
public static class ProgressDisplay
{
    // Plain logs: a task says it started once it has run 10 s, how far it is every 30 s, and that it ended if it took a
    // second or more (quicker ones are reported by their command's own closing line, or the recipe's round line).
    private static readonly TimeSpan StartLineAfter = TimeSpan.FromSeconds(10), Heartbeat = TimeSpan.FromSeconds(30), EndLineFrom = TimeSpan.FromSeconds(1);

    public static T Run<T>(string title, Func<IProgressSink, T> work)
    {
        if (Console.IsErrorRedirected || Environment.GetEnvironmentVariable("MERLINITE_PLAIN_PROGRESS") == "1")
        {
            var plain = new PlainSink(title);
            var result = work(plain);
            plain.Finished();
            return result;
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var pace = new Pace();
        return console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                new TimesColumn(pace))
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1.0);
                var result = work(new SpectreSink(task, title, pace));
                task.Value = 1.0;
                return result;
            });
    }

    /// <summary>One phase of a longer job (a recipe phase): <paramref name="work"/> reports (fraction, detail).</summary>
    public static void Phase(string title, Action<Action<double, string?>> work) =>
        Run(title, sink => { work((fraction, detail) => sink.Report(fraction, detail)); return 0; });

    private static string Duration(TimeSpan t) => Pace.Format(t);

    private sealed class SpectreSink(ProgressTask task, string title, Pace pace) : IProgressSink
    {
        public void Report(double fraction, string? detail)
        {
            pace.Observe(task.ElapsedTime ?? TimeSpan.Zero, Math.Clamp(fraction, 0, 1));
            task.Value = Math.Clamp(fraction, 0, 1);
            task.Description = Markup.Escape(detail is null ? title : $"{title} · {detail}");
        }
    }

    /// <summary>"12.3 s spent · about 40 s left", labelled (Spectre's own columns print two bare clocks).</summary>
    private sealed class TimesColumn(Pace pace) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var elapsed = task.ElapsedTime ?? TimeSpan.Zero;
            string left = task.IsFinished ? "done"
                : pace.Remaining(elapsed, task.Percentage / 100) is { } r ? $"about {Duration(r)} left" : "";
            return new Text($"{Duration(elapsed)} spent{(left.Length > 0 ? " · " + left : "")}", new Style(Color.Grey));
        }
    }

    private sealed class PlainSink(string title) : IProgressSink
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Pace _pace = new();
        private TimeSpan _lastLine = TimeSpan.Zero;
        private bool _announced;
        private double _fraction;
        private string? _detail;

        public void Report(double fraction, string? detail)
        {
            _fraction = Math.Clamp(fraction, 0, 1);
            if (detail is not null) _detail = detail;
            var now = _clock.Elapsed;
            _pace.Observe(now, _fraction);
            if (!_announced && now > StartLineAfter)
            {
                _announced = true;
                _lastLine = now;
                Console.Error.WriteLine($"{title}: running{Figures()}");
            }
            else if (_announced && now - _lastLine > Heartbeat)
            {
                _lastLine = now;
                string left = _pace.Remaining(now, _fraction) is { } r ? $", about {Duration(r)} left" : "";
                Console.Error.WriteLine($"{title}: {_fraction * 100:F0}% after {Duration(now)}{left}{Figures()}");
            }
        }

        public void Finished()
        {
            if (_announced || _clock.Elapsed >= EndLineFrom) Console.Error.WriteLine($"{title}: done in {Duration(_clock.Elapsed)}{Figures()}");
        }

        private string Figures() => _detail is null ? "" : $" ({_detail})";
    }
}
