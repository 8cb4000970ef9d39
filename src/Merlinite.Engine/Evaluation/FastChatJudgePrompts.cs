using System.Text.Json;
using Merlinite.Engine.Data;

namespace Merlinite.Engine.Evaluation;

/// <summary>
/// FastChat's judge_prompts.jsonl, used as its gen_judgment.py uses it for single-answer grading: a question of a
/// category that needs a reference (math, reasoning, coding, arena-hard-200) is judged with "single-math-v1" and its
/// reference answers, any other with "single-v1"; the second turn with the "-multi-turn" form of the same prompt, which
/// shows the whole conversation. Each prompt brings its own system message. Slots are filled as Python's str.format
/// fills them: first turn {question}, {answer}, {ref_answer_1}; second turn {question_1}, {answer_1}, {question_2},
/// {answer_2}, {ref_answer_1}, {ref_answer_2}.
/// </summary>
public sealed class FastChatJudgePrompts : IJudgePrompt
{
    /// <summary>FastChat's NEED_REF_CATS.</summary>
    public static readonly string[] NeedReference = ["math", "reasoning", "coding", "arena-hard-200"];

    private static readonly string[] SingleSlots = ["question", "answer", "ref_answer_1"];
    private static readonly string[] MultiTurnSlots =
        ["question_1", "answer_1", "question_2", "answer_2", "ref_answer_1", "ref_answer_2"];
    private static readonly string[] Names =
        ["single-v1", "single-math-v1", "single-v1-multi-turn", "single-math-v1-multi-turn"];

    private readonly IReadOnlyDictionary<string, (string System, SlotTemplate Template, string Where)> _prompts;

    private FastChatJudgePrompts(IReadOnlyDictionary<string, (string, SlotTemplate, string)> prompts) =>
        _prompts = prompts;

    /// <summary>The prompt FastChat picks for a question of <paramref name="category"/> at
    /// <paramref name="turn"/>.</summary>
    public static string PromptName(string category, int turn) =>
        (NeedReference.Contains(category) ? "single-math-v1" : "single-v1") + (turn > 1 ? "-multi-turn" : "");

    public static FastChatJudgePrompts Load(string path)
    {
        var prompts = new Dictionary<string, (string, SlotTemplate, string)>(StringComparer.Ordinal);
        JsonLines.Read(path, (row, where, _) =>
        {
            string name = JsonLines.OptionalString(row, "name")
                ?? throw new InputFormatException($"{where}: a judge prompt needs a \"name\"");
            if (!Names.Contains(name)) return 0; // the pairwise prompts: another mode of FastChat's
            string Field(string key) => JsonLines.OptionalString(row, key)
                ?? throw new InputFormatException($"{where}: judge prompt {name} has no \"{key}\"");
            if (Field("type") != "single")
                throw new InputFormatException($"{where}: {name} is not a \"single\" prompt");
            if (Field("output_format") != "[[rating]]")
                throw new InputFormatException(
                    $"{where}: {name}'s output_format is {Field("output_format")}, not [[rating]]");
            var slots = name.EndsWith("-multi-turn", StringComparison.Ordinal) ? MultiTurnSlots : SingleSlots;
            var template = SlotTemplate.Parse(Field("prompt_template"), slots.Contains, $"{where} ({name})",
                string.Join(", ", slots.Select(s => "{" + s + "}")));
            prompts[name] = (Field("system_prompt"), template, $"{where} ({name})");
            return 0;
        });
        if (Names.FirstOrDefault(n => !prompts.ContainsKey(n)) is { } missing)
            throw new InputFormatException($"{Path.GetFullPath(path)}: no judge prompt named {missing} " +
                                           "(FastChat's single-answer grading needs " + string.Join(", ", Names) + ")");
        return new FastChatJudgePrompts(prompts);
    }

    public JudgeInput Render(JudgeCase c)
    {
        if (c.Turn > 2)
            throw new InputFormatException(
                $"question {c.Id}: FastChat's judge prompts grade two turns, not turn {c.Turn}");
        var (system, template, where) = _prompts[PromptName(c.Category, c.Turn)];
        string hint = NeedReference.Contains(c.Category) && c.References is null
            ? " (no reference answer: give --references)" : "";
        return new JudgeInput(system,
            template.Fill(s => JudgePrompt.Value(c, s), $"{where}, question {c.Id} turn {c.Turn}{hint}"));
    }
}
