using System.CommandLine;
using Merlinite.Engine.Generation;

namespace Merlinite.Cli.Commands;

/// <summary>Sampler flags shared by chat and generate. Defaults come from <see cref="SamplingOptions"/>.</summary>
public sealed class SamplingFlags
{
    private static readonly SamplingOptions D = new();

    public Option<float> Temp { get; } = new("--temp") { Description = "temperature (0 = greedy)", DefaultValueFactory = _ => D.Temperature };
    public Option<int> TopK { get; } = new("--top-k") { Description = "keep the k most likely tokens (0 = off)", DefaultValueFactory = _ => D.TopK };
    public Option<float> TopP { get; } = new("--top-p") { Description = "nucleus sampling mass (1 = off)", DefaultValueFactory = _ => D.TopP };
    public Option<float> MinP { get; } = new("--min-p") { Description = "drop tokens below min-p x the top probability (0 = off)", DefaultValueFactory = _ => D.MinP };
    public Option<float> RepeatPenalty { get; } = new("--repeat-penalty") { Description = "penalty for the last 64 tokens (1 = off)", DefaultValueFactory = _ => D.RepeatPenalty };
    public Option<uint> Seed { get; } = new("--seed", "-s") { Description = "sampling seed; the same seed, model and flags give the same text", DefaultValueFactory = _ => D.Seed };
    public Option<int> MaxTokens { get; } = new("--max-tokens", "-n") { Description = "most new tokens per reply", DefaultValueFactory = _ => D.MaxTokens };

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
        try { options.Validate(); }
        catch (ArgumentException e) { throw new Infrastructure.UsageException(e.Message); }
        return options;
    }
}
