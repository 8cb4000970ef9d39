using System.Text;
using System.Text.Json;
using Merlinite.Engine.Data;
using Merlinite.Llama;

namespace Merlinite.Engine.Scoring;

/// <summary>The JSONL line format of <c>merlinite score</c> (and the per-model files of <c>merlinite reward</c>).</summary>
public static class ScoreJson
{
    /// <summary><c>{"id", "sum", "mean", "count", "tokens": [{"id", "piece", "bytes", "logprob", "top"?}]}</c>, or
    /// <c>{"id", "error"}</c>.</summary>
    public static string Format(ScoreResult r, LlamaVocab vocab, bool withTokens)
    {
        return JsonLines.Format(w =>
        {
            w.WriteString("id", r.Id);
            if (!r.Ok)
            {
                w.WriteString("error", r.Error);
            }
            else
            {
                w.WriteNumber("sum", Math.Round(r.Sum, 6));
                w.WriteNumber("mean", Math.Round(r.Mean, 6));
                w.WriteNumber("count", r.Count);
                if (r.TruncatedPromptTokens > 0) w.WriteNumber("truncated_prompt_tokens", r.TruncatedPromptTokens);
                if (withTokens)
                {
                    w.WriteStartArray("tokens");
                    foreach (var t in r.Tokens)
                    {
                        w.WriteStartObject();
                        WriteToken(w, t.Token, t.LogProb, vocab);
                        if (t.Top.Count > 0)
                        {
                            w.WriteStartArray("top");
                            foreach (var alt in t.Top) { w.WriteStartObject(); WriteToken(w, alt.Token, alt.LogProb, vocab); w.WriteEndObject(); }
                            w.WriteEndArray();
                        }
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
            }
        });
    }

    /// <summary>"piece" is the token's text (U+FFFD where its bytes split a character); "bytes" its raw bytes, a
    /// byte-fallback token's one byte included, so joining a response's "bytes" rebuilds its text exactly.</summary>
    private static void WriteToken(Utf8JsonWriter w, int token, double logProb, LlamaVocab vocab)
    {
        byte[] bytes = vocab.TokenToPieceBytes(token, special: true);
        w.WriteNumber("id", token);
        w.WriteString("piece", Encoding.UTF8.GetString(bytes));
        w.WriteStartArray("bytes");
        foreach (byte b in bytes) w.WriteNumberValue(b);
        w.WriteEndArray();
        w.WriteNumber("logprob", Math.Round(logProb, 6));
    }

    /// <summary>Reads back id → (sum, mean, count) or an error from a score file.</summary>
    public static Dictionary<string, ScoreSummary> ReadSummaries(string path)
    {
        var map = new Dictionary<string, ScoreSummary>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            string id = root.GetProperty("id").GetString()!;
            map[id] = root.TryGetProperty("error", out var e)
                ? new ScoreSummary(0, 0, 0, e.GetString())
                : new ScoreSummary(root.GetProperty("sum").GetDouble(), root.GetProperty("mean").GetDouble(), root.GetProperty("count").GetInt32(), null);
        }
        return map;
    }
}

public sealed record ScoreSummary(double Sum, double Mean, int Count, string? Error);
