using Merlinite.Engine.Chat;

namespace Merlinite.Serve;

/// <summary>A chat request's "truncation": "auto": the oldest turns go until the conversation leaves room for the
/// answer, by the rule `merlinite chat` keeps its history with (<see cref="ChatHistory.FitTo"/>).</summary>
internal static class ChatFit
{
    /// <summary>The messages that fit and how many were dropped (system messages stay). Room is kept for
    /// <paramref name="maxTokens"/>, but never more than half of a sequence: a long last message may still run with a
    /// shorter answer, and one that does not fit even alone is refused as the request would have been.</summary>
    public static (List<ChatMessage> Messages, int Dropped) DropOldest(IReadOnlyList<ChatMessage> messages,
        int tokensPerSequence, int maxTokens, Func<IReadOnlyList<ChatMessage>, int> countTokens)
    {
        var history = new ChatHistory(null);
        foreach (var m in messages) history.Add(m);
        int budget = tokensPerSequence - Math.Min(maxTokens, tokensPerSequence / 2);
        try { history.FitTo(budget, countTokens); }
        catch (ContextOverflowException) { } // only the last turn is left: it runs if it fits, else is refused
        return (history.Messages.ToList(), messages.Count - history.Messages.Count);
    }
}
