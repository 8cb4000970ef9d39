using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;

namespace Merlinite.Engine.Chat;

/// <summary>
/// A multi-turn conversation in Merlinite's template. Replies stream through a callback; when the history outgrows
/// the context, the oldest turns are dropped and <see cref="Notice"/> says so.
/// </summary>
public sealed class ChatSession(LoadedModel model, string? systemPrompt, SamplingOptions sampling)
{
    private readonly Generator _generator = new(model);
    private ChatHistory _history = new(systemPrompt);
    private int _turn;

    public event Action<string>? Notice;
    public GenerationResult? LastResult { get; private set; }
    public IReadOnlyList<ChatMessage> History => _history.Messages;

    public void Reset()
    {
        _history = new ChatHistory(systemPrompt);
        _generator.Reset();
        _turn = 0;
    }

    /// <summary>Answers <paramref name="userMessage"/>, streaming the text to <paramref name="onText"/> as it is generated.</summary>
    public GenerationResult Reply(string userMessage, Action<string>? onText, CancellationToken ct)
    {
        _history.Add(ChatMessage.User(userMessage));
        int budget = model.ContextSize - Math.Min(sampling.MaxTokens, model.ContextSize / 2);
        int dropped = _history.FitTo(budget, m => model.TokenizePrompt(MerliniteTemplate.Render(m)).Length);
        if (dropped > 0)
            Notice?.Invoke($"dropped the {dropped} oldest message(s) to fit the {model.ContextSize}-token context (the system prompt is kept)");

        var prompt = model.TokenizePrompt(MerliniteTemplate.Render(_history.Messages));
        // Each turn gets its own seed so a replayed conversation is reproducible turn by turn.
        var options = sampling with { Seed = unchecked(sampling.Seed + (uint)_turn++) };
        LastResult = _generator.Generate(prompt, options, onText, ct);
        _history.Add(ChatMessage.Assistant(LastResult.Text));
        return LastResult;
    }
}
