using System.Text;
using System.Text.Json;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Sampling;

namespace Merlinite.Engine.Data;

/// <summary>One line of a sample file: a prompt and its samples.</summary>
public sealed record SampledPrompt(string Id, string? Source, IReadOnlyList<ChatMessage> Messages, int PromptTokens, IReadOnlyList<SampleOutput> Samples);

/// <summary>
/// The samples file (<c>merlinite sample</c>'s output, a recipe's round-k/samples.jsonl and eval.jsonl): one line per
/// prompt, <c>{"id", "source"?, "messages", "prompt_tokens", "samples": [{"index", "seed", "text", "finish_reason",
/// "tokens"}]}</c>. The messages are repeated so the file alone is enough to score the samples.
/// </summary>
public static class SampleFile
{
    public static string Format(PromptItem item, PromptSamples result)
    {
        return JsonLines.Format(w =>
        {
            w.WriteString("id", item.Id);
            if (item.Source is not null) w.WriteString("source", item.Source);
            PromptFile.WriteMessages(w, item.Messages);
            w.WriteNumber("prompt_tokens", result.Request.PromptTokens.Length);
            w.WriteStartArray("samples");
            foreach (var s in result.Samples)
            {
                w.WriteStartObject();
                w.WriteNumber("index", s.Index);
                w.WriteNumber("seed", s.Seed);
                w.WriteString("text", s.Text);
                w.WriteString("finish_reason", s.FinishReason.ToWireName());
                w.WriteNumber("tokens", s.Tokens);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        });
    }

    /// <summary>A sample output as written (empty for a shard given no prompts).</summary>
    public static IReadOnlyList<SampledPrompt> Read(string path) => JsonLines.Read(path, Parse, allowEmpty: true);

    public static SampledPrompt Parse(JsonElement root, string where, int lineNo)
    {
        if (!root.TryGetProperty("messages", out var msgs)) throw new InputFormatException($"{where}: a sample line needs \"messages\"");
        if (!root.TryGetProperty("samples", out var samples) || samples.ValueKind != JsonValueKind.Array)
            throw new InputFormatException($"{where}: \"samples\" must be an array");
        var list = new List<SampleOutput>();
        foreach (var s in samples.EnumerateArray())
        {
            if (s.ValueKind != JsonValueKind.Object || !s.TryGetProperty("index", out var index) || !index.TryGetInt32(out int i)
                || JsonLines.OptionalString(s, "text") is not { } text)
                throw new InputFormatException($"{where}: samples[{list.Count}] needs an integer \"index\" and a string \"text\"");
            uint seed = s.TryGetProperty("seed", out var sd) && sd.TryGetUInt32(out uint v) ? v : 0;
            var finish = JsonLines.OptionalString(s, "finish_reason") is { } f ? FinishReasonNames.Parse(f) : FinishReason.Stop;
            int tokens = s.TryGetProperty("tokens", out var t) && t.TryGetInt32(out int n) ? n : 0;
            list.Add(new SampleOutput(i, seed, text, finish, tokens));
        }
        int promptTokens = root.TryGetProperty("prompt_tokens", out var pt) && pt.TryGetInt32(out int p) ? p : 0;
        return new SampledPrompt(JsonLines.Id(root, where, lineNo), JsonLines.OptionalString(root, "source"),
            JsonLines.Messages(msgs, where), promptTokens, list);
    }
}
