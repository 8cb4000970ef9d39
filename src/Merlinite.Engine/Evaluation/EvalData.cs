using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Merlinite.Engine.Data;

namespace Merlinite.Engine.Evaluation;

/// <summary>One option of a multiple-choice question: the text the model reads (<see cref="Query"/>) and the text
/// whose log-likelihood is scored after it (<see cref="Choice"/>). Most tasks share one query across options; in
/// Winogrande's partial scoring each option has its own query and all share the choice.</summary>
public sealed record ChoiceOption(string Query, string Choice);

/// <summary>A multiple-choice question as lm-evaluation-harness frames it. <see cref="Description"/> opens the
/// context (MMLU's "The following are multiple choice questions..."), before any few-shot examples.</summary>
public sealed record ChoiceQuestion(string Id, string? Subject, string Description, IReadOnlyList<ChoiceOption> Options, int Gold);

/// <summary>A GSM8K problem: the question and the reference solution ending in "#### number".</summary>
public sealed record MathProblem(string Id, string Question, string Answer);

/// <summary>An MT-Bench question: one or more user turns, optional reference answers (math, coding, reasoning).</summary>
public sealed record JudgedQuestion(string Id, string Category, IReadOnlyList<string> Turns, IReadOnlyList<string>? References);

/// <summary>
/// Reads benchmark rows in the layouts of the public data sets (as JSONL, one row per line) and frames them the way
/// lm-evaluation-harness does, so a score here means what it means there. Every malformed row is refused as
/// "file:line: ..." naming the field.
/// </summary>
public static partial class EvalData
{
    public static IReadOnlyList<ChoiceQuestion> ReadChoices(EvalKind kind, string path) => JsonLines.Read(path, (row, where, lineNo) =>
    {
        string id = JsonLines.Id(row, where, lineNo);
        return kind switch
        {
            EvalKind.Mmlu => Mmlu(row, where, id),
            EvalKind.Arc => Arc(row, where, id),
            EvalKind.Hellaswag => Hellaswag(row, where, id),
            EvalKind.Winogrande => Winogrande(row, where, id),
            EvalKind.MultipleChoice => Generic(row, where, id),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a multiple-choice kind"),
        };
    });

    public static IReadOnlyList<MathProblem> ReadMath(string path) => JsonLines.Read(path, (row, where, lineNo) =>
    {
        var p = new MathProblem(JsonLines.Id(row, where, lineNo), JsonLines.String(row, "question", where), JsonLines.String(row, "answer", where));
        if (AnswerExtraction.Reference(p.Answer) is null)
            throw new InputFormatException(p.Answer.Contains("#### ", StringComparison.Ordinal)
                ? $"{where}: \"answer\" has nothing after its final \"#### \" (GSM8K's layout: \"#### number\")"
                : $"{where}: \"answer\" has no final \"#### number\" line (GSM8K's layout)");
        return p;
    });

    public static IReadOnlyList<JudgedQuestion> ReadJudged(string path)
    {
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);
        return JsonLines.Read(path, (row, where, lineNo) =>
        {
            string id = row.TryGetProperty("question_id", out var q)
                ? q.ValueKind is JsonValueKind.Number or JsonValueKind.String && q.ToString().Length > 0 ? q.ToString()
                    : throw new InputFormatException($"{where}: \"question_id\" must be a number or a non-empty string")
                : JsonLines.Id(row, where, lineNo);
            if (ids.TryGetValue(id, out var first)) throw new InputFormatException($"{where}: question_id {id} is also the id of {first}");
            ids[id] = where;
            var turns = Strings(row, "turns", where, min: 1);
            var references = row.TryGetProperty("reference", out var r) && r.ValueKind != JsonValueKind.Null ? Strings(row, "reference", where, min: 1) : null;
            return new JudgedQuestion(id, JsonLines.OptionalString(row, "category") ?? "general", turns, references);
        });
    }

    // ------------------------------------------------------------------ the tasks' framing (lm-eval's conventions)

    private static ChoiceQuestion Mmlu(JsonElement row, string where, string id)
    {
        string question = JsonLines.String(row, "question", where);
        var choices = Strings(row, "choices", where, min: 2);
        if (choices.Count > 26) throw new InputFormatException($"{where}: \"choices\" has {choices.Count} items; at most 26 get letters");
        int gold = Index(row, "answer", where, choices.Count, letters: true);
        string? subject = JsonLines.OptionalString(row, "subject");
        var letters = choices.Select((_, i) => ((char)('A' + i)).ToString()).ToList();
        string query = question.Trim() + "\n" + string.Concat(choices.Select((c, i) => $"{letters[i]}. {c}\n")) + "Answer:";
        string about = string.IsNullOrEmpty(subject) ? "" : " about " + subject.Replace('_', ' ');
        return new(id, subject, $"The following are multiple choice questions (with answers){about}.\n\n",
            letters.Select(l => new ChoiceOption(query, l)).ToList(), gold);
    }

    private static ChoiceQuestion Arc(JsonElement row, string where, string id)
    {
        string question = JsonLines.String(row, "question", where);
        if (!row.TryGetProperty("choices", out var c) || c.ValueKind != JsonValueKind.Object)
            throw new InputFormatException($"{where}: expected an object \"choices\" with \"text\" and \"label\" lists");
        var texts = Strings(c, "text", where, min: 2, prefix: "choices.");
        var labels = Strings(c, "label", where, min: 2, prefix: "choices.");
        if (labels.Count != texts.Count) throw new InputFormatException($"{where}: choices.text has {texts.Count} items but choices.label has {labels.Count}");
        string key = JsonLines.String(row, "answerKey", where);
        int gold = labels.IndexOf(key);
        if (gold < 0) throw new InputFormatException($"{where}: answerKey '{key}' is not one of the labels ({string.Join(", ", labels)})");
        string query = $"Question: {question}\nAnswer:";
        return new(id, null, "", texts.Select(t => new ChoiceOption(query, t)).ToList(), gold);
    }

    private static ChoiceQuestion Hellaswag(JsonElement row, string where, string id)
    {
        string ctx = JsonLines.String(row, "ctx_a", where) + " " + Capitalize(JsonLines.String(row, "ctx_b", where));
        string query = Preprocess(JsonLines.String(row, "activity_label", where) + ": " + ctx);
        var endings = Strings(row, "endings", where, min: 2);
        int gold = Index(row, "label", where, endings.Count, letters: false);
        return new(id, null, "", endings.Select(e => new ChoiceOption(query, Preprocess(e))).ToList(), gold);
    }

    /// <summary>Partial scoring: the sentence up to the blank with each option filled in is the context, the rest of
    /// the sentence the continuation scored under both.</summary>
    private static ChoiceQuestion Winogrande(JsonElement row, string where, string id)
    {
        string sentence = JsonLines.String(row, "sentence", where);
        int blank = sentence.IndexOf('_');
        if (blank < 0) throw new InputFormatException($"{where}: \"sentence\" has no \"_\" blank");
        string rest = sentence[(blank + 1)..].Trim();
        var options = new[] { JsonLines.String(row, "option1", where), JsonLines.String(row, "option2", where) };
        string answer = row.TryGetProperty("answer", out var a) ? a.ToString() : "";
        if (answer is not ("1" or "2")) throw new InputFormatException($"{where}: \"answer\" must be \"1\" or \"2\"");
        return new(id, null, "", options.Select(o => new ChoiceOption(sentence[..blank] + o, rest)).ToList(), answer == "1" ? 0 : 1);
    }

    private static ChoiceQuestion Generic(JsonElement row, string where, string id)
    {
        string question = JsonLines.String(row, "question", where);
        var choices = Strings(row, "choices", where, min: 2);
        int gold = Index(row, "answer", where, choices.Count, letters: true);
        return new(id, JsonLines.OptionalString(row, "subject"), "", choices.Select(c => new ChoiceOption(question, c)).ToList(), gold);
    }

    /// <summary>HellaSwag's clean-up of WikiHow artefacts: " [title]" becomes a full stop, other bracketed tags go,
    /// double spaces become one.</summary>
    public static string Preprocess(string text) =>
        BracketTag().Replace(text.Trim().Replace(" [title]", ". ", StringComparison.Ordinal), "").Replace("  ", " ", StringComparison.Ordinal);

    /// <summary>Python's str.capitalize: the first character upper case, the rest lower case.</summary>
    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    [GeneratedRegex(@"\[.*?\]")]
    private static partial Regex BracketTag();

    // ------------------------------------------------------------------ typed fields

    private static List<string> Strings(JsonElement row, string name, string where, int min, string prefix = "")
    {
        if (!row.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.Array)
            throw new InputFormatException($"{where}: expected a list of strings \"{prefix}{name}\"");
        var list = new List<string>();
        foreach (var e in v.EnumerateArray())
            list.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new InputFormatException($"{where}: {prefix}{name}[{list.Count}] must be a string"));
        if (list.Count < min) throw new InputFormatException($"{where}: \"{prefix}{name}\" needs at least {Plural.Of(min, "item")}, has {list.Count}");
        return list;
    }

    /// <summary>A 0-based answer index (a number, a digit string, or with <paramref name="letters"/> a letter A, B, ...).</summary>
    private static int Index(JsonElement row, string name, string where, int count, bool letters)
    {
        if (!row.TryGetProperty(name, out var v)) throw new InputFormatException($"{where}: missing \"{name}\" (the right choice's index)");
        int index = v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetInt32(out int i) => i,
            JsonValueKind.String when int.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out int i) => i,
            JsonValueKind.String when letters && v.GetString() is [>= 'A' and <= 'Z'] l => l[0] - 'A',
            _ => throw new InputFormatException($"{where}: \"{name}\" must be an index 0..{count - 1}{(letters ? " or a letter" : "")} (got {v.GetRawText()})"),
        };
        if (index < 0 || index >= count) throw new InputFormatException($"{where}: \"{name}\" is {index} but there are {count} choices (0..{count - 1})");
        return index;
    }
}
