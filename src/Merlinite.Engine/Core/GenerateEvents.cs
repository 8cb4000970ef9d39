using Merlinite.Engine.Generation;
using Merlinite.Engine.Scoring;

namespace Merlinite.Engine.Core;

public abstract record GenerateEvent;

/// <summary>One generated token of a choice (<see cref="Token"/> -1: none, only text released at the end): its piece,
/// its log-probs when asked, and <see cref="Text"/>, the choice's text that can be shown now (text that might begin a
/// stop string is held back, so <see cref="Text"/> need not be <see cref="Piece"/>).</summary>
public sealed record ChoiceDelta(int Index, int Token, string Piece, string Text, double? LogProb,
    IReadOnlyList<TokenLogProb> Top) : GenerateEvent;

/// <summary>A choice ended: why, how many tokens it generated, its whole text (a stop string and what follows it
/// removed) and the seed of its sampler.</summary>
public sealed record ChoiceFinished(int Index, FinishReason Reason, int Tokens, string Text = "", uint Seed = 0)
    : GenerateEvent;

/// <summary>The prompt's tokens with their log-probs (the first has none).</summary>
public sealed record PromptScored(IReadOnlyList<int> Tokens, IReadOnlyList<double?> LogProbs,
    IReadOnlyList<IReadOnlyList<TokenLogProb>> Top) : GenerateEvent;

/// <summary>The request failed after it was accepted.</summary>
public sealed record RequestFailed(string Message) : GenerateEvent;
