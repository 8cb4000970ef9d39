using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;

namespace Merlinite.Engine.Chat;

/// <summary>
/// A multi-turn conversation in a chat template (Merlinite's by default). Replies stream through a callback; when the
/// history outgrows the context, the oldest turns are dropped and <see cref="Notice"/> says so.
/// </summary>
public sealed class ChatSession(LoadedModel model, string? systemPrompt, SamplingOptions sampling,
    bool ignoreEos = false, ChatTemplate template = ChatTemplate.Merlinite)
{
    private readonly Generator _generator = new(model);
    private readonly PromptRenderer _renderer = new(model, template);
    private ChatHistory _history = new(systemPrompt);
    private int _turn;

    public event Action<string>? Notice;
    public GenerationResult? LastResult { get; private set; }
    public IReadOnlyList<ChatMessage> History => _history.Messages;
    public string? SystemPrompt => systemPrompt;

    /// <summary>Tokens of the context the conversation occupies now, and the context's size.</summary>
    public (int Used, int Size) Context => (_generator.CachedTokens, model.ContextSize);

    public void Reset()
    {
        _history = new ChatHistory(systemPrompt);
        _generator.Reset();
        _turn = 0;
    }

    /// <summary>Replaces the system prompt (null or empty: none) and keeps the turns so far.</summary>
    public void SetSystemPrompt(string? text)
    {
        systemPrompt = string.IsNullOrEmpty(text) ? null : text;
        Replace(History.Where(m => m.Role != ChatRole.System));
    }

    /// <summary>Continues a saved conversation: its system message, if any, becomes the system prompt.</summary>
    public void Load(IReadOnlyList<ChatMessage> messages)
    {
        if (messages.Skip(1).Any(m => m.Role == ChatRole.System))
            throw new FormatException("a system message may only come first");
        if (messages.Count > 0 && messages[0].Role == ChatRole.System) systemPrompt = messages[0].Content;
        Replace(messages.Where(m => m.Role != ChatRole.System));
        _turn = messages.Count(m => m.Role == ChatRole.User);
    }

    private void Replace(IEnumerable<ChatMessage> turns)
    {
        var turnList = turns.ToList();
        _history = new ChatHistory(systemPrompt);
        foreach (var m in turnList) _history.Add(m);
    }

    /// <summary>Answers <paramref name="userMessage"/>, streaming the text to <paramref name="onText"/> as it is generated.</summary>
    public GenerationResult Reply(string userMessage, Action<string>? onText, CancellationToken ct)
    {
        _history.Add(ChatMessage.User(userMessage));
        int budget = model.ContextSize - Math.Min(sampling.MaxTokens, model.ContextSize / 2);
        int dropped = _history.FitTo(budget, m => model.TokenizePrompt(_renderer.Render(m)).Length);
        if (dropped > 0)
            Notice?.Invoke($"dropped the {(dropped == 1 ? "oldest message" : $"{dropped} oldest messages")} to fit the {model.ContextSize}-token context (the system prompt is kept)");

        var prompt = model.TokenizePrompt(_renderer.Render(_history.Messages));
        // Each turn gets its own seed so a replayed conversation is reproducible turn by turn.
        var options = sampling with { Seed = unchecked(sampling.Seed + (uint)_turn++) };
        LastResult = _generator.Generate(prompt, options, onText, ct, ignoreEos);
        _history.Add(ChatMessage.Assistant(LastResult.Text));
        return LastResult;
    }
}
