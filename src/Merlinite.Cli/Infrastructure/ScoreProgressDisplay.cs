using Merlinite.Engine.Scoring;

namespace Merlinite.Cli.Infrastructure;

/// <summary>Renders scoring progress (items and tokens/s) through <see cref="ProgressDisplay"/>.</summary>
public static class ScoreProgressDisplay
{
    public static void Run(string title, Action<Action<ScoreProgress>> work) =>
        ProgressDisplay.Run(title, sink =>
        {
            work(p => sink.Report(p.Total == 0 ? 1 : (double)p.Done / p.Total, $"{p.Done}/{p.Total} ({p.TokensPerSecond:F0} tok/s)"));
            return 0;
        });
}
