using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Scoring;

namespace Merlinite.Cli.Commands;

/// <summary>Flags shared by score, reward and reward eval. Defaults come from <see cref="ScoringSettings"/>.</summary>
public sealed class ScoringFlags
{
    private static readonly ScoringSettings D = new();

    public Option<bool> NoEos { get; } = Flags.Create("eos", "do not score the end-of-generation token after each response (it is scored by default, except with --template raw)", !D.Eos);
    public Option<string> Truncate { get; } = Flags.Create("truncate", "items longer than the context: none (per-item error, the rest is scored) or left (drop the oldest prompt tokens)", D.Truncate.ToString().ToLowerInvariant());
    public Option<int> Parallel { get; } = Flags.Create("parallel", "sequences scored together (responses that share a prompt share its KV cache)", D.Parallel, "N");
    public Option<int> Batch { get; } = Flags.Create("batch", "tokens per llama_decode call", D.Batch, "N");
    public Option<string?> System { get; } = Flags.Optional<string?>("system", "system prompt for plain \"prompt\" lines (default: the Merlinite model card's with --template merlinite, none otherwise; \"\" for none)");
    public RuntimeFlags Runtime { get; } = new();

    public ScoringFlags() => Truncate.AcceptOnlyFromAmong("none", "left");

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { System, NoEos, Truncate, Parallel, Batch }) command.Add(o);
        Runtime.AddTo(command);
    }

    public ScoringSettings Read(ParseResult p) => new()
    {
        Eos = !p.GetValue(NoEos),
        Truncate = p.GetValue(Truncate) == "left" ? TruncateMode.Left : TruncateMode.None,
        Parallel = p.GetValue(Parallel),
        Batch = p.GetValue(Batch),
        Runtime = Runtime.Read(p),
    };

    /// <summary>--template with the given default (score and reward differ: see their settings).</summary>
    public static Option<string> Template(ChatTemplate defaultValue, string description)
    {
        var option = Flags.Create("template", description, defaultValue.Name());
        option.AcceptOnlyFromAmong("merlinite", "model", "raw");
        return option;
    }
}
