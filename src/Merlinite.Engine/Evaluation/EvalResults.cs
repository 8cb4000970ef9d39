using System.Text.Json;
using Merlinite.Engine.Data;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Scoring;

namespace Merlinite.Engine.Evaluation;

/// <summary>
/// The per-item lines of an eval output (one JSON object per question, in input order) and how they read back.
/// Every figure of a summary is computed from these lines, so a summary always agrees with the file next to it.
/// </summary>
public static class EvalResults
{
    /// <summary>{"id", "subject"?, "gold", "pred", "pred_norm", "acc", "acc_norm", "loglikelihoods", "tokens"}, or
    /// {"id", "error"} when an option could not be scored (e.g. longer than the context).</summary>
    public static string FormatChoice(ChoiceQuestion q, IReadOnlyList<ScoreResult> options) => JsonLines.Format(w =>
    {
        w.WriteString("id", q.Id);
        if (q.Subject is not null) w.WriteString("subject", q.Subject);
        if (options.FirstOrDefault(o => !o.Ok) is { } failed)
        {
            w.WriteString("error", $"option {options.ToList().IndexOf(failed)}: {failed.Error}");
            return;
        }
        var ll = options.Select(o => o.Sum).ToList();
        var norm = ll.Select((v, k) => v / Math.Max(1, q.Options[k].Choice.Length)).ToList();
        int pred = ChoiceEvaluator.ArgMax(ll), predNorm = ChoiceEvaluator.ArgMax(norm);
        w.WriteNumber("gold", q.Gold);
        w.WriteNumber("pred", pred);
        w.WriteNumber("pred_norm", predNorm);
        w.WriteNumber("acc", pred == q.Gold ? 1 : 0);
        w.WriteNumber("acc_norm", predNorm == q.Gold ? 1 : 0);
        w.WriteStartArray("loglikelihoods");
        foreach (var v in ll) w.WriteNumberValue(Math.Round(v, 6));
        w.WriteEndArray();
        w.WriteStartArray("tokens");
        foreach (var o in options) w.WriteNumberValue(o.Count);
        w.WriteEndArray();
    });

    /// <summary>{"id", "output", "finish_reason", "target", "strict", "flexible", "strict_match", "flexible_match"}.</summary>
    public static string FormatMath(MathProblem p, string output, FinishReason finish) => JsonLines.Format(w =>
    {
        string target = AnswerExtraction.Reference(p.Answer)!;
        string strict = AnswerExtraction.Strict(output), flexible = AnswerExtraction.Flexible(output);
        w.WriteString("id", p.Id);
        w.WriteString("output", output);
        w.WriteString("finish_reason", finish.ToString().ToLowerInvariant());
        w.WriteString("target", target);
        w.WriteString("strict", strict);
        w.WriteString("flexible", flexible);
        w.WriteNumber("strict_match", AnswerExtraction.Matches(strict, target) ? 1 : 0);
        w.WriteNumber("flexible_match", AnswerExtraction.Matches(flexible, target) ? 1 : 0);
    });

    /// <summary>One row of a finished eval file, reduced to what summaries need.</summary>
    public sealed record Row(string Id, string? Group, string? Error, IReadOnlyDictionary<string, double> Scores, IReadOnlyList<double?> Ratings, int Failures);

    public static IReadOnlyList<Row> Read(EvalKind kind, string path) => JsonLines.Read(path, (root, where, lineNo) =>
    {
        string id = JsonLines.Id(root, where, lineNo);
        string? group = JsonLines.OptionalString(root, kind == EvalKind.MtBench ? "category" : "subject");
        if (JsonLines.OptionalString(root, "error") is { } error) return new Row(id, group, error, new Dictionary<string, double>(), [], 0);
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        var ratings = new List<double?>();
        int failures = 0;
        if (kind == EvalKind.MtBench)
        {
            foreach (var turn in root.GetProperty("turns").EnumerateArray())
            {
                bool rated = turn.TryGetProperty("rating", out var r) && r.ValueKind == JsonValueKind.Number;
                ratings.Add(rated ? r.GetDouble() : null);
                if (!rated) failures++;
            }
        }
        else
        {
            foreach (var metric in kind.Metrics())
            {
                string field = kind == EvalKind.Gsm8k ? metric + "_match" : metric;
                scores[metric] = root.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number
                    ? v.GetDouble() : throw new InputFormatException($"{where}: missing \"{field}\" (not an eval output of kind {kind.Name()})");
            }
        }
        return new Row(id, group, null, scores, ratings, failures);
    });
}
