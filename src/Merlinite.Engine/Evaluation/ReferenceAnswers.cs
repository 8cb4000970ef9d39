using System.Text.Json;
using Merlinite.Engine.Data;

namespace Merlinite.Engine.Evaluation;

/// <summary>
/// FastChat's reference answers (mt_bench/reference_answer/gpt-4.jsonl): one model-answer row per question,
/// {"question_id", "choices": [{"turns": [...]}]}. gen_judgment.py gives them to the questions of the categories that
/// need a reference (<see cref="FastChatJudgePrompts.NeedReference"/>), in place of a question's own "reference".
/// </summary>
public static class ReferenceAnswers
{
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Read(string path)
    {
        var byId = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        JsonLines.Read(path, (row, where, _) =>
        {
            if (!row.TryGetProperty("question_id", out var q)
                || q.ValueKind is not (JsonValueKind.Number or JsonValueKind.String))
                throw new InputFormatException($"{where}: a reference answer needs a \"question_id\"");
            if (!row.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array
                || choices.GetArrayLength() == 0 || !choices[0].TryGetProperty("turns", out var turns)
                || turns.ValueKind != JsonValueKind.Array
                || turns.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String))
                throw new InputFormatException($"{where}: expected \"choices\": [{{\"turns\": [\"...\", ...]}}]");
            byId[q.ToString()] = turns.EnumerateArray().Select(t => t.GetString()!).ToList();
            return 0;
        });
        return byId;
    }

    /// <summary>The questions with the file's references in place for the categories that need one; a question of
    /// such a category that the file lacks is an error naming it.</summary>
    public static IReadOnlyList<JudgedQuestion> Apply(IReadOnlyList<JudgedQuestion> questions, string path)
    {
        var references = Read(path);
        return questions.Select(q => !FastChatJudgePrompts.NeedReference.Contains(q.Category) ? q
            : references.TryGetValue(q.Id, out var r) ? q with { References = r }
            : throw new InputFormatException($"{Path.GetFullPath(path)}: no reference answer for question {q.Id} " +
                                             $"({q.Category} needs one)")).ToList();
    }
}
