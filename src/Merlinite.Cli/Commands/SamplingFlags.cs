using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Generation;

namespace Merlinite.Cli.Commands;

/// <summary>Sampler flags of chat, generate, sample and generate-data. Defaults come from <see cref="SamplingOptions"/>,
/// or from the command's own settings record (generate-data's teacher samples warmer and without truncation).</summary>
public sealed class SamplingFlags(SamplingOptions? defaults = null)
{
    private static readonly SamplingOptions Default = new();

    public Option<float> Temp { get; } = Flags.Create("temperature", "temperature (0 = greedy)", (defaults ?? Default).Temperature, "T");
    public Option<int> TopK { get; } = Flags.Create("top_k", "keep the k most likely tokens (0 = off)", (defaults ?? Default).TopK, "K");
    public Option<float> TopP { get; } = Flags.Create("top_p", "nucleus sampling mass (1 = off)", (defaults ?? Default).TopP, "P");
    public Option<float> MinP { get; } = Flags.Create("min_p", "drop tokens below min-p x the top probability (0 = off)", (defaults ?? Default).MinP, "P");
    public Option<float> RepeatPenalty { get; } = Flags.Create("repeat_penalty", $"penalty for the last {SamplingOptions.RepeatLastN} tokens (1 = off)", (defaults ?? Default).RepeatPenalty, "X");
    public Option<uint> Seed { get; } = Flags.Create("seed", "sampling seed; the same seed, model and flags give the same text", (defaults ?? Default).Seed, "S");
    public Option<int> MaxTokens { get; } = Flags.Create("max_tokens", "most new tokens per reply", (defaults ?? Default).MaxTokens, "N");

    public void AddTo(Command command)
    {
        command.Add(Temp); command.Add(TopK); command.Add(TopP); command.Add(MinP);
        command.Add(RepeatPenalty); command.Add(Seed); command.Add(MaxTokens);
    }

    public SamplingOptions Read(ParseResult parse)
    {
        var options = new SamplingOptions
        {
            Temperature = parse.GetValue(Temp),
            TopK = parse.GetValue(TopK),
            TopP = parse.GetValue(TopP),
            MinP = parse.GetValue(MinP),
            RepeatPenalty = parse.GetValue(RepeatPenalty),
            Seed = parse.GetValue(Seed),
            MaxTokens = parse.GetValue(MaxTokens),
        };
        options.Validate();
        return options;
    }
}
