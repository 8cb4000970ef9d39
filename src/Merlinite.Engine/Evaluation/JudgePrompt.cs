using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Merlinite.Engine.Evaluation;

/// <summary>What the judge is shown for turn <paramref name="Turn"/> (1-based) of question <paramref name="Id"/>: the
/// questions and the policy's answers up to that turn, and the reference answers where the question has them.</summary>
public sealed record JudgeCase(string Id, string Category, int Turn, IReadOnlyList<string> Questions,
    IReadOnlyList<string> Answers, IReadOnlyList<string>? References)
{
    public string Question => Questions[Turn - 1];
    public string Answer => Answers[Turn - 1];
    public string? Reference => References is { } r && r.Count >= Turn ? r[Turn - 1] : null;
}

/// <summary>The judge's conversation: an optional system message and the user message that asks for a rating.</summary>
public sealed record JudgeInput(string? System, string User);

/// <summary>A way to ask a judge for a rating of one turn.</summary>
public interface IJudgePrompt
{
    JudgeInput Render(JudgeCase c);
}

/// <summary>
/// The text a judge model grades an answer by. The default wording is the project's own; a user template (a text file)
/// may use the slots {question}, {answer}, {reference}, {conversation} (the earlier turns as "User: ..." /
/// "Assistant: ..." lines), {category} and {turn}, and FastChat's numbered ones, {question_N}, {answer_N} and
/// {ref_answer_N} for turn N (so FastChat's own prompt texts work as they are). Either way the judge must write its
/// rating as "[[rating]]".
/// </summary>
public sealed partial class JudgePrompt : IJudgePrompt
{
    public static readonly string[] Slots = ["question", "answer", "reference", "conversation", "category", "turn"];
    private const string KnownText = "{question}, {answer}, {reference}, {conversation}, {category}, {turn}, " +
                                     "{question_N}, {answer_N}, {ref_answer_N}";

    private readonly SlotTemplate? _template;
    private readonly string _where;

    private JudgePrompt(SlotTemplate? template, string where) => (_template, _where) = (template, where);

    public static JudgePrompt Default { get; } = new(null, "the default judge prompt");

    /// <summary>Reads a template file; unknown slots and a template that never shows the answer are refused.</summary>
    public static JudgePrompt Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"judge prompt not found: {Path.GetFullPath(path)}", path);
        string where = Path.GetFullPath(path);
        // A text file's final newline is not part of the prompt.
        var template = SlotTemplate.Parse(File.ReadAllText(path).TrimEnd('\n', '\r'), IsKnown, where, KnownText);
        if (!template.Slots.Any(s => s == "answer" || s.StartsWith("answer_", StringComparison.Ordinal)))
            throw new Data.InputFormatException(
                $"{where}: the judge prompt has no {{answer}} slot, so the judge would never see the answer");
        return new JudgePrompt(template, where);
    }

    private static bool IsKnown(string name) => Slots.Contains(name) || Numbered().IsMatch(name);

    /// <summary>The value of a slot for one case: null when the case has none (a later turn, a missing
    /// reference).</summary>
    public static string? Value(JudgeCase c, string slot)
    {
        var numbered = Numbered().Match(slot);
        if (numbered.Success)
        {
            int n = int.Parse(numbered.Groups[2].Value, CultureInfo.InvariantCulture);
            if (n > c.Turn) return null;
            return numbered.Groups[1].Value switch
            {
                "question" => c.Questions[n - 1],
                "answer" => c.Answers[n - 1],
                _ => c.References is { } r && r.Count >= n ? r[n - 1] : null,
            };
        }
        return slot switch
        {
            "question" => c.Question,
            "answer" => c.Answer,
            "reference" => c.Reference ?? "",
            "conversation" => Conversation(c),
            "category" => c.Category,
            _ => c.Turn.ToString(CultureInfo.InvariantCulture),
        };
    }

    public JudgeInput Render(JudgeCase c)
    {
        if (_template is not null)
            return new JudgeInput(null, _template.Fill(s => Value(c, s), $"{_where}, question {c.Id} turn {c.Turn}"));

        string conversation = Conversation(c);
        var sb = new StringBuilder();
        sb.Append("You are grading one reply of an AI assistant. Judge how helpful, correct, relevant and clear the reply is for the user's request");
        sb.Append(c.Reference is null ? ". " : ", taking the reference answer as the truth. ");
        sb.Append("Be strict: a wrong answer to a factual, math or coding question deserves a low rating however well it is written.\n\n");
        if (conversation.Length > 0) sb.Append("[Earlier in the conversation]\n").Append(conversation).Append('\n');
        sb.Append("[User's request]\n").Append(c.Question).Append("\n\n");
        if (c.Reference is not null) sb.Append("[Reference answer]\n").Append(c.Reference).Append("\n\n");
        sb.Append("[Assistant's reply]\n").Append(c.Answer).Append("\n\n");
        sb.Append("First explain your assessment in two or three sentences. Then rate the reply from 1 (useless) to 10 (excellent), written exactly like this: Rating: [[5]]");
        return new JudgeInput(null, sb.ToString());
    }

    private static string Conversation(JudgeCase c) =>
        string.Concat(Enumerable.Range(0, c.Turn - 1)
            .Select(t => $"User: {c.Questions[t]}\nAssistant: {c.Answers[t]}\n"));

    [GeneratedRegex(@"^(question|answer|ref_answer)_([1-9][0-9]*)$")]
    private static partial Regex Numbered();
}
