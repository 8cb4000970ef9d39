using System.Text;
using System.Text.RegularExpressions;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.DataGeneration;

/// <summary>
/// The teacher's prompts, one per step of data generation, with {slots} filled per leaf. "Grounded" prompts are for
/// leaves whose answers rest on a passage (knowledge, from chunks of its documents; grounded skills, from their seed
/// contexts); the others for freeform skills. The checks ask for a rating "[[N]]" from 1 to 10 (the format the judge
/// of `merlinite eval` reads), so one parser serves every filter and a reply without one is counted, not guessed.
/// Users replace any of them (a recipe's lab.prompts, generate-data's --prompt NAME=FILE).
/// </summary>
public sealed partial record GenerationPrompts
{
    /// <summary>Slots: {task}, {examples}. The reply's first line is the new question.</summary>
    public string Questions { get; init; } =
        "You write training questions for an AI assistant.\nTask: {task}\n\nHere are examples of questions for this task:\n\n{examples}\n\n" +
        "Write one new question for the same task. It must differ from the examples, be self-contained and answerable. " +
        "Reply with the question only, on one line.";

    /// <summary>Slots: {task}, {context}, {examples}.</summary>
    public string GroundedQuestions { get; init; } =
        "You write training questions for an AI assistant.\nTopic: {task}\n\nPassage:\n{context}\n\nExamples of questions:\n\n{examples}\n\n" +
        "Write one new question that the passage answers. It must differ from the examples and must not mention \"the passage\". " +
        "Reply with the question only, on one line.";

    /// <summary>Slots: {task}, {question}. The teacher as judge of a question.</summary>
    public string QuestionCheck { get; init; } =
        "Task: {task}\nQuestion: {question}\n\nIs this a clear, answerable question that fits the task? " +
        "Rate it from 1 (useless) to 10 (excellent) and end with the rating in the form [[N]].";

    /// <summary>Slots: {question}. The reply is the answer.</summary>
    public string Answer { get; init; } = "{question}";

    /// <summary>Slots: {context}, {question}.</summary>
    public string GroundedAnswer { get; init; } =
        "Answer the question using only the passage.\n\nPassage:\n{context}\n\nQuestion: {question}";

    /// <summary>Slots: {task}, {question}, {answer}. The teacher as judge of a pair.</summary>
    public string PairCheck { get; init; } =
        "Task: {task}\nQuestion: {question}\nAnswer: {answer}\n\nIs the answer correct, complete and helpful? " +
        "Rate it from 1 (wrong) to 10 (perfect) and end with the rating in the form [[N]].";

    /// <summary>Slots: {context}, {question}, {answer}. The faithfulness filter: is the answer supported by the passage.</summary>
    public string GroundedPairCheck { get; init; } =
        "Passage:\n{context}\n\nQuestion: {question}\nAnswer: {answer}\n\nIs every claim of the answer supported by the passage? " +
        "Rate it from 1 (unsupported) to 10 (fully supported) and end with the rating in the form [[N]].";

    /// <summary>The prompts by the names users give them (recipe keys, --prompt NAME=FILE) and the slots each may use.</summary>
    public static readonly IReadOnlyList<(string Name, string[] Slots)> Names =
    [
        ("questions", ["task", "examples"]), ("grounded_questions", ["task", "context", "examples"]),
        ("question_check", ["task", "question"]), ("answer", ["question"]), ("grounded_answer", ["context", "question"]),
        ("pair_check", ["task", "question", "answer"]), ("grounded_pair_check", ["context", "question", "answer"]),
    ];

    public string Get(string name) => name switch
    {
        "questions" => Questions, "grounded_questions" => GroundedQuestions, "question_check" => QuestionCheck,
        "answer" => Answer, "grounded_answer" => GroundedAnswer, "pair_check" => PairCheck, "grounded_pair_check" => GroundedPairCheck,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    public GenerationPrompts With(string name, string text) => name switch
    {
        "questions" => this with { Questions = text }, "grounded_questions" => this with { GroundedQuestions = text },
        "question_check" => this with { QuestionCheck = text }, "answer" => this with { Answer = text },
        "grounded_answer" => this with { GroundedAnswer = text }, "pair_check" => this with { PairCheck = text },
        "grounded_pair_check" => this with { GroundedPairCheck = text },
        _ => throw new SettingException("prompt", $"'{name}' is not a prompt name (names: {string.Join(", ", Names.Select(n => n.Name))})"),
    };

    /// <summary>A prompt from a text file (UTF-8); the line break that ends a file is not part of the prompt.</summary>
    public GenerationPrompts WithFile(string name, string path)
    {
        if (!File.Exists(path)) throw new SettingException($"prompts.{name}", $"file not found: {Path.GetFullPath(path)}");
        return With(name, File.ReadAllText(path).TrimEnd('\n', '\r'));
    }

    /// <summary>Fills {slot}s; a slot the prompt does not use is simply not filled.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> slots) =>
        Slot().Replace(template, m => slots.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    /// <summary>Seed examples as the {examples} slot shows them.</summary>
    public static string Examples(IEnumerable<SeedExample> seeds) =>
        string.Join("\n\n", seeds.Select(s => $"Question: {s.Question}\nAnswer: {s.Answer}"));

    public IEnumerable<SettingProblem?> Problems()
    {
        foreach (var (name, slots) in Names)
        {
            string text = Get(name);
            if (string.IsNullOrWhiteSpace(text)) { yield return new SettingProblem($"prompts.{name}", "must not be empty"); continue; }
            foreach (Match m in Slot().Matches(text))
                if (!slots.Contains(m.Groups[1].Value))
                    yield return new SettingProblem($"prompts.{name}", "unknown slot " + Literal(m.Groups[1].Value) +
                        $" (this prompt may use {string.Join(", ", slots.Select(Literal))})");
        }
        // Without its question a check or an answer would say the same thing for every candidate.
        foreach (var name in new[] { "question_check", "answer", "grounded_answer", "pair_check", "grounded_pair_check" })
            if (!Get(name).Contains("{question}", StringComparison.Ordinal))
                yield return new SettingProblem($"prompts.{name}", "must contain " + Literal("question"));
    }

    /// <summary>A slot as a setting message shows it (braces alone would name another setting, see SettingProblem).</summary>
    private static string Literal(string slot) => "{{" + slot + "}}";

    public void AddTo(Outputs.Fingerprint f)
    {
        foreach (var (name, _) in Names) f.Add($"prompts.{name}", Get(name));
    }

    [GeneratedRegex(@"\{([a-z_]+)\}")]
    private static partial Regex Slot();
}
