namespace Merlinite.Engine.Chat;

/// <summary>
/// A conversation that keeps itself inside a token budget: when it outgrows the context,
/// the oldest user/assistant turns go first and the system prompt always stays.
/// </summary>
public sealed class ChatHistory
{
    private readonly List<ChatMessage> _messages = new();

    public ChatHistory(string? systemPrompt)
    {
        if (!string.IsNullOrEmpty(systemPrompt)) _messages.Add(ChatMessage.System(systemPrompt));
    }

    public IReadOnlyList<ChatMessage> Messages => _messages;

    public void Add(ChatMessage message) => _messages.Add(message);

    /// <summary>
    /// Drops whole turns (a user message and the replies that follow it), oldest first, until
    /// <paramref name="countTokens"/> of the rendered prompt is at most <paramref name="budget"/>.
    /// Returns how many messages were dropped.
    /// </summary>
    /// <exception cref="ContextOverflowException">Even the system prompt plus the newest user message do not fit.</exception>
    public int FitTo(int budget, Func<IReadOnlyList<ChatMessage>, int> countTokens)
    {
        int dropped = 0;
        int tokens = countTokens(_messages);
        while (tokens > budget)
        {
            int first = FirstDroppableIndex();
            int lastUser = _messages.FindLastIndex(m => m.Role == ChatRole.User);
            if (first < 0 || first >= lastUser)
                throw new ContextOverflowException(tokens, budget);
            int end = first + 1;
            while (end < _messages.Count && _messages[end].Role != ChatRole.User) end++;
            dropped += end - first;
            _messages.RemoveRange(first, end - first);
            tokens = countTokens(_messages);
        }
        return dropped;
    }

    private int FirstDroppableIndex() => _messages.FindIndex(m => m.Role != ChatRole.System);
}

public sealed class ContextOverflowException(int tokens, int budget)
    : Exception($"the prompt needs {tokens} tokens but only {budget} fit in the context (after reserving room for the reply); " +
                "a larger context, a shorter prompt or fewer max_tokens would help")
{
    public int Tokens { get; } = tokens;
    public int Budget { get; } = budget;
}
