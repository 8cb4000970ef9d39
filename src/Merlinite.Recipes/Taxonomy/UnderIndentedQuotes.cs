using Merlinite.Recipes.Schema;
using YamlDotNet.RepresentationModel;

namespace Merlinite.Recipes.Taxonomy;

/// <summary>
/// Reads a qna.yaml as PyYAML (InstructLab's parser) does where a continuation line of a multi-line double-quoted
/// scalar is indented no deeper than its key. YAML 1.1 and 1.2 both require such lines to be indented deeper than the
/// block they are in (s-flow-line-prefix(n) for a scalar at n+1), and YamlDotNet refuses them; PyYAML does not check.
/// The value is the same either way: a double-quoted scalar ends only at its closing quote, and the leading white
/// space of its continuation lines is never content. So those lines are indented (which changes no value and no line
/// number) and the file is read again, with a note naming each line; InstructLab's taxonomy has such files.
/// </summary>
internal static class UnderIndentedQuotes
{
    private const string Refusal = "While scanning a multi-line double-quoted scalar, found wrong indentation.";

    public static YamlNode Parse(YamlShape shape, string text)
    {
        while (true)
        {
            try { return YamlDocumentReader.Parse(shape.File, text); }
            catch (RecipeException e) when (e.Problems is [var p]
                && p.Message.EndsWith(Refusal, StringComparison.Ordinal)
                && Indent(text, (int)p.Line, (int)p.Column) is var (indented, lines) && lines.Count > 0)
            {
                text = indented;
                foreach (int line in lines)
                    shape.Notes.Add($"{shape.File}:{line}:1: this line continues the double-quoted text that "
                        + $"starts at {p.Line}:{p.Column} but is not indented deeper than its key, as YAML requires; "
                        + "read as PyYAML (InstructLab's parser) reads it, but other YAML readers refuse it: "
                        + "indent it further");
            }
        }
    }

    /// <summary>The text with the continuation lines of the double-quoted scalar opening at line:column indented past
    /// the key's indentation ("- " counts as indentation), and the 1-based numbers of the lines that were.</summary>
    private static (string Text, List<int> Lines) Indent(string text, int line, int column)
    {
        var lines = text.Split('\n');
        if (line > lines.Length || column > lines[line - 1].Length || lines[line - 1][column - 1] != '"')
            return (text, []);
        string opening = lines[line - 1];
        int key = 0;
        while (key < opening.Length && (opening[key] == ' ' || (opening[key] == '-' && key + 1 < opening.Length
            && opening[key + 1] == ' '))) key++;
        var changed = new List<int>();
        int i = line - 1, at = column; // at: the index after the opening quote on line i
        while (i < lines.Length)
        {
            for (; at < lines[i].Length; at++)
            {
                if (lines[i][at] == '\\') at++; // an escape: the next character is not a closing quote
                else if (lines[i][at] == '"') return (string.Join('\n', lines), changed);
            }
            if (++i == lines.Length) break;
            int spaces = lines[i].Length - lines[i].TrimStart(' ').Length;
            // A document marker at column 1 ends the document for PyYAML too: left for the parser to refuse.
            if (lines[i].StartsWith("---", StringComparison.Ordinal)
                || lines[i].StartsWith("...", StringComparison.Ordinal)) return (text, []);
            if (spaces <= key && lines[i].Trim().Length > 0)
            {
                lines[i] = new string(' ', key + 1 - spaces) + lines[i];
                changed.Add(i + 1);
            }
            at = 0;
        }
        return (text, []); // no closing quote: left for the parser to report
    }
}
