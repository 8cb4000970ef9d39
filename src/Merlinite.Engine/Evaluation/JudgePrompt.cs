using System.Text;
using System.Text.RegularExpressions;
using Merlinite.Engine.Data;

namespace Merlinite.Engine.Evaluation;

/// <summary>What the judge is shown for one turn: the turn's question and the policy's answer, the earlier turns,
/// and the reference answer when the question has one.</summary>
public sealed record JudgeCase(string Category, int Turn, string Question, string Answer, string? Reference, IReadOnlyList<(string User, string Assistant)> Earlier);

/// <summary>
/// The text a judge model grades an answer by. The default wording is the project's own; a user template (a text file)
/// may use the named slots {question}, {answer}, {reference}, {conversation} (the earlier turns as "User: ..." /
/// "Assistant: ..." lines), {category} and {turn}. Either way the judge must end with "[[rating]]" (1-10).
/// </summary>
public sealed partial class JudgePrompt
{
    public static readonly string[] Slots = ["question", "answer", "reference", "conversation", "category", "turn"];

    private readonly string? _template;

    private JudgePrompt(string? template) => _template = template;

    public static JudgePrompt Default { get; } = new(null);

    /// <summary>Reads a template file; unknown slots and a template without {answer} are refused.</summary>
    public static JudgePrompt Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"judge prompt not found: {Path.GetFullPath(path)}", path);
        // A text file's final newline is not part of the prompt.
        string text = File.ReadAllText(path).TrimEnd('\n', '\r');
        foreach (Match m in Slot().Matches(text))
            if (!Slots.Contains(m.Groups[1].Value))
                throw new InputFormatException($"{Path.GetFullPath(path)}: unknown slot {{{m.Groups[1].Value}}} (known: {string.Join(", ", Slots.Select(s => "{" + s + "}"))})");
        if (!text.Contains("{answer}", StringComparison.Ordinal))
            throw new InputFormatException($"{Path.GetFullPath(path)}: the judge prompt has no {{answer}} slot, so the judge would never see the answer");
        return new JudgePrompt(text);
    }

    public string Render(JudgeCase c)
    {
        string conversation = string.Concat(c.Earlier.Select(e => $"User: {e.User}\nAssistant: {e.Assistant}\n"));
        if (_template is not null)
            return Slot().Replace(_template, m => m.Groups[1].Value switch
            {
                "question" => c.Question,
                "answer" => c.Answer,
                "reference" => c.Reference ?? "",
                "conversation" => conversation,
                "category" => c.Category,
                _ => c.Turn.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });

        var sb = new StringBuilder();
        sb.Append("You are grading one reply of an AI assistant. Judge how helpful, correct, relevant and clear the reply is for the user's request");
        sb.Append(c.Reference is null ? ". " : ", taking the reference answer as the truth. ");
        sb.Append("Be strict: a wrong answer to a factual, math or coding question deserves a low rating however well it is written.\n\n");
        if (conversation.Length > 0) sb.Append("[Earlier in the conversation]\n").Append(conversation).Append('\n');
        sb.Append("[User's request]\n").Append(c.Question).Append("\n\n");
        if (c.Reference is not null) sb.Append("[Reference answer]\n").Append(c.Reference).Append("\n\n");
        sb.Append("[Assistant's reply]\n").Append(c.Answer).Append("\n\n");
        sb.Append("First explain your assessment in two or three sentences. Then rate the reply from 1 (useless) to 10 (excellent), written exactly like this: Rating: [[5]]");
        return sb.ToString();
    }

    [GeneratedRegex(@"\{([a-z_]+)\}")]
    private static partial Regex Slot();
}
