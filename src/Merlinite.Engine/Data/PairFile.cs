using System.Text.Json;
using Merlinite.Engine.Chat;

namespace Merlinite.Engine.Data;

/// <summary>A prompt (as chat messages) and one response to score.</summary>
public sealed record ScorePair(string Id, IReadOnlyList<ChatMessage> Prompt, string Response);

/// <summary>A preference pair for reward evaluation.</summary>
public sealed record PreferencePair(string Id, IReadOnlyList<ChatMessage> Prompt, string Chosen, string Rejected, string Subset);

/// <summary>
/// Reads the (prompt, response) pairs that score, reward and train take, from any of the layouts the tool reads or writes:
/// <list type="bullet">
/// <item><c>{"id", "prompt", "response"}</c> and <c>{"id", "messages"}</c> whose last message is the assistant's response;</item>
/// <item><c>merlinite sample</c>'s output <c>{"id", "messages", "samples": [{"index", "text"}]}</c>: one pair per sample,
/// id <c>PROMPT#index</c>, so sample → reward composes without reshaping;</item>
/// <item>preference pairs <c>{"id", "prompt", "chosen", "rejected", "subset"?}</c>: two pairs, <c>ID/chosen</c> and
/// <c>ID/rejected</c> (what <c>reward eval</c> scores).</item>
/// </list>
/// Errors name file:line.
/// </summary>
public static class PairFile
{
    public const string ChosenSuffix = "/chosen", RejectedSuffix = "/rejected";

    public static IReadOnlyList<ScorePair> ReadScorePairs(string path, string? systemPrompt) =>
        JsonLines.Read(path, (root, where, lineNo) => Pairs(root, where, lineNo, systemPrompt)).SelectMany(p => p).ToList();

    public static IReadOnlyList<PreferencePair> ReadPreferencePairs(string path, string? systemPrompt) =>
        JsonLines.Read(path, (root, where, lineNo) => Preference(root, where, lineNo, systemPrompt));

    /// <summary>The id of sample <paramref name="index"/> of prompt <paramref name="promptId"/> as a pair.</summary>
    public static string SampleId(string promptId, int index) => $"{promptId}#{index}";

    private static IEnumerable<ScorePair> Pairs(JsonElement root, string where, int lineNo, string? systemPrompt)
    {
        string id = JsonLines.Id(root, where, lineNo);
        if (root.TryGetProperty("samples", out _))
        {
            var file = SampleFile.Parse(root, where, lineNo);
            return file.Samples.Select(s => new ScorePair(SampleId(id, s.Index), file.Messages, s.Text)).ToList();
        }
        if (root.TryGetProperty("chosen", out _))
        {
            var p = Preference(root, where, lineNo, systemPrompt);
            return [new ScorePair(id + ChosenSuffix, p.Prompt, p.Chosen), new ScorePair(id + RejectedSuffix, p.Prompt, p.Rejected)];
        }
        if (root.TryGetProperty("messages", out var msgs))
        {
            var messages = JsonLines.Messages(msgs, where);
            if (messages[^1].Role != ChatRole.Assistant)
                throw new InputFormatException($"{where}: the last message must be the assistant's response to score");
            return [new ScorePair(id, messages.Take(messages.Count - 1).ToList(), messages[^1].Content)];
        }
        return [new ScorePair(id, UserPrompt(JsonLines.String(root, "prompt", where), systemPrompt), JsonLines.String(root, "response", where))];
    }

    private static PreferencePair Preference(JsonElement root, string where, int lineNo, string? systemPrompt) => new(
        JsonLines.Id(root, where, lineNo),
        UserPrompt(JsonLines.String(root, "prompt", where), systemPrompt),
        JsonLines.String(root, "chosen", where),
        JsonLines.String(root, "rejected", where),
        JsonLines.OptionalString(root, "subset") ?? "all");

    private static List<ChatMessage> UserPrompt(string prompt, string? systemPrompt)
    {
        var messages = new List<ChatMessage>();
        if (!string.IsNullOrEmpty(systemPrompt)) messages.Add(ChatMessage.System(systemPrompt));
        messages.Add(ChatMessage.User(prompt));
        return messages;
    }
}
