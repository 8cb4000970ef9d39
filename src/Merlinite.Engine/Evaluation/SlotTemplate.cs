using System.Text;
using Merlinite.Engine.Data;

namespace Merlinite.Engine.Evaluation;

/// <summary>
/// A prompt with {name} slots, read the way Python's str.format reads FastChat's judge prompts: "{{" and "}}" are
/// literal braces, every other brace pair is a slot. A slot this kind of prompt does not know is refused when the
/// template is read, naming it (a slot left as it is would reach the judge as text: "{ref_answer_1}").
/// </summary>
public sealed class SlotTemplate
{
    private readonly IReadOnlyList<(bool IsSlot, string Text)> _parts;

    private SlotTemplate(IReadOnlyList<(bool, string)> parts) => _parts = parts;

    public IEnumerable<string> Slots => _parts.Where(p => p.IsSlot).Select(p => p.Text);

    /// <param name="known">true for the slot names this prompt may use.</param>
    /// <param name="where">the file (and line) the text comes from, for messages.</param>
    /// <param name="knownText">the known names as a user reads them, for the message.</param>
    public static SlotTemplate Parse(string text, Func<string, bool> known, string where, string knownText)
    {
        var parts = new List<(bool, string)>();
        var literal = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if ((c == '{' || c == '}') && i + 1 < text.Length && text[i + 1] == c) { literal.Append(c); i++; continue; }
            if (c == '}') throw new InputFormatException($"{where}: a single '}}' (write '}}}}' for a literal brace)");
            if (c != '{') { literal.Append(c); continue; }
            int end = text.IndexOf('}', i + 1);
            if (end < 0)
                throw new InputFormatException($"{where}: a '{{' without its '}}' (write '{{{{' for a literal brace)");
            string name = text[(i + 1)..end];
            if (!known(name))
                throw new InputFormatException($"{where}: unknown slot {{{name}}} (known: {knownText})");
            if (literal.Length > 0) { parts.Add((false, literal.ToString())); literal.Clear(); }
            parts.Add((true, name));
            i = end;
        }
        if (literal.Length > 0) parts.Add((false, literal.ToString()));
        return new SlotTemplate(parts);
    }

    /// <summary>The text with every slot filled; a slot without a value here (null) is an error naming it.</summary>
    public string Fill(Func<string, string?> value, string where)
    {
        var sb = new StringBuilder();
        foreach (var (isSlot, text) in _parts)
            sb.Append(!isSlot ? text
                : value(text) ?? throw new InputFormatException($"{where}: slot {{{text}}} has no value"));
        return sb.ToString();
    }
}
