using System.CommandLine;
using Merlinite.Engine.Outputs;

namespace Merlinite.Cli.Infrastructure;

/// <summary>--restart: what a command does with an output that already exists.</summary>
public static class Restart
{
    public static Option<bool> Create(string? description = null) => Flags.Create("restart", description ??
        "recompute the output from scratch. Without it a finished output made with the same inputs and settings is kept, an " +
        "unfinished one is resumed, and one made differently is refused (its .meta.json records what made it)", false);

    public static ReuseRule Rule(ParseResult parse, Option<bool> restart) =>
        parse.GetValue(restart) ? ReuseRule.Recompute : ReuseRule.ResumeOrRefuse;

    /// <summary>The line printed when a job had nothing to do.</summary>
    public static string UpToDate(string output) =>
        $"{output} is up to date (made with the same inputs and settings); nothing to do (--restart recomputes it)";
}
