using System.Text;
using System.Text.Json;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;

namespace Merlinite.Engine.Training;

/// <summary>
/// Turns SFT pairs into the trainer's input, one <c>{"tokens", "mask"}</c> line per example: mask 1 on the response
/// tokens and the closing end-of-generation token, 0 on the prompt. Tokenized with <see cref="ScoreTemplate"/>'s
/// boundary rule, so what the policy is trained on is token for token what the reward scored.
/// </summary>
public static class SftTokenizer
{
    /// <summary>The trainer's input lines, one per pair; an example longer than <paramref name="maxTokens"/> or with
    /// nothing to learn is refused by id.</summary>
    public static List<string> Lines(LoadedModel vocabulary, IReadOnlyList<ScorePair> pairs, ChatTemplate template, int maxTokens)
    {
        var builder = new ScoreTemplate(vocabulary, template, appendEos: template != ChatTemplate.Raw);
        var lines = new List<string>(pairs.Count);
        foreach (var pair in pairs)
        {
            var item = builder.Build(pair.Id, pair.Prompt, pair.Response);
            int length = item.PromptTokens.Length + item.ResponseTokens.Length;
            if (length > maxTokens)
                throw new Settings.SettingException("max_seq_len", $"example '{pair.Id}' is {length} tokens, more than the {maxTokens} allowed (the model's training context, or max_seq_len)");
            if (item.ResponseTokens.Length == 0) throw new InputFormatException($"example '{pair.Id}' has an empty response: nothing to learn");
            lines.Add(Line(item));
        }
        return lines;
    }

    private static string Line(ScoreItem item)
    {
        return JsonLines.Format(w =>
        {
            w.WriteString("id", item.Id);
            w.WriteStartArray("tokens");
            foreach (int t in item.PromptTokens) w.WriteNumberValue(t);
            foreach (int t in item.ResponseTokens) w.WriteNumberValue(t);
            w.WriteEndArray();
            w.WriteStartArray("mask");
            foreach (int _ in item.PromptTokens) w.WriteNumberValue(0);
            foreach (int _ in item.ResponseTokens) w.WriteNumberValue(1);
            w.WriteEndArray();
        });
    }
}
