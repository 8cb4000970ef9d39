using Merlinite.Engine.Chat;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;

namespace Merlinite.Engine.Evaluation;

/// <summary>A worked example or the question itself: what the model reads, and (for an example) the answer after it.</summary>
public sealed record Exchange(string Query, string Target);

/// <summary>
/// Builds a task's context from a description, k worked examples and the query, in plain text (lm-eval's default) or
/// through a chat template:
/// <list type="bullet">
/// <item>raw: description, then each example as query + " " + target followed by a blank line, then the query; a
/// choice is scored as " " + choice (the single-space join).</item>
/// <item>chat: each example a user turn and an assistant turn, then the query as a user turn (the description opens
/// the first user turn); a choice is scored as the assistant's reply, with no space before it.</item>
/// </list>
/// Tokens follow lm-eval's rule (<see cref="EncodePair"/>): trailing whitespace of the context moves to the
/// continuation, the context is tokenized alone and context + continuation as one text, and the continuation's
/// tokens are those past the context's length.
/// </summary>
public sealed class EvalPrompts(LoadedModel tokenizer, ChatTemplate template, string? system)
{
    public const string TargetDelimiter = " ", ExampleDelimiter = "\n\n";

    private readonly PromptRenderer _renderer = new(tokenizer, template);

    public bool Chat => template != ChatTemplate.Raw;

    public string Context(string description, IReadOnlyList<Exchange> examples, string query)
    {
        if (!Chat)
            return description + string.Concat(examples.Select(e => e.Query + TargetDelimiter + e.Target + ExampleDelimiter)) + query;
        var messages = new List<ChatMessage>();
        if (template.SystemPrompt(system) is { Length: > 0 } s) messages.Add(ChatMessage.System(s));
        foreach (var e in examples)
        {
            messages.Add(ChatMessage.User((messages.Count(m => m.Role == ChatRole.User) == 0 ? description : "") + e.Query));
            messages.Add(ChatMessage.Assistant(e.Target));
        }
        messages.Add(ChatMessage.User((examples.Count == 0 ? description : "") + query));
        return _renderer.Render(messages);
    }

    /// <summary>The text scored after the context for a choice.</summary>
    public string Continuation(string choice) => Chat ? choice : TargetDelimiter + choice;

    /// <summary>Context and continuation as token ids, by lm-eval's rule (see the class comment).</summary>
    public ScoreItem Tokenize(string id, string context, string continuation)
    {
        (context, continuation) = EncodePair(context, continuation);
        var whole = tokenizer.TokenizePrompt(context + continuation);
        var prompt = tokenizer.TokenizePrompt(context);
        return new ScoreItem(id, prompt, whole.Length > prompt.Length ? whole[prompt.Length..] : []);
    }

    /// <summary>lm-eval's <c>_encode_pair</c> split: all trailing whitespace of the context (Python's
    /// <c>str.rstrip()</c>, so newlines and tabs too, not only spaces) moves to the front of the
    /// continuation.</summary>
    public static (string Context, string Continuation) EncodePair(string context, string continuation)
    {
        int end = context.Length;
        while (end > 0 && IsPythonSpace(context[end - 1])) end--;
        return (context[..end], context[end..] + continuation);
    }

    /// <summary>Python's str.isspace for one UTF-16 unit: .NET's white space plus the four information separators
    /// U+001C..U+001F, which Python counts (their bidirectional class is a separator) and .NET does not.</summary>
    private static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001c' and <= '\u001f';

    /// <summary>A prompt to generate from: the context tokenized (BOS added, special tokens parsed).</summary>
    public int[] TokenizePrompt(string context) => tokenizer.TokenizePrompt(context);
}
