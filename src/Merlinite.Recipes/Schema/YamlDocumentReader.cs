using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Merlinite.Recipes.Schema;

/// <summary>
/// Reads one YAML file into its node tree, for recipes and taxonomy qna.yaml files alike, so both report a broken file
/// the same way: strict UTF-8, a tab in the indentation at its own line:column (YamlDotNet would say 1:1), and any
/// parser failure as one <see cref="RecipeProblem"/> at the place the parser reached, never as a bare exception.
/// </summary>
internal static class YamlDocumentReader
{
    /// <summary>The file's text, or null when it is not valid UTF-8 (the caller says what to do about it).</summary>
    public static string? ReadUtf8(string file)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(file)); }
        catch (DecoderFallbackException) { return null; }
    }

    /// <summary>One YAML document. Any parser failure, YamlDotNet's own bugs included, is reported at the last place the
    /// parser reached, never as a bare exception.</summary>
    public static YamlNode Parse(string file, string text)
    {
        if (TabIndentation(text) is var (line, column))
            throw Problem(file, new Mark(0, line, column), "not valid YAML: a tab in the indentation (YAML indents with spaces only)");
        var parser = new TrackingParser(new Parser(new StringReader(text)));
        var stream = new YamlStream();
        try { stream.Load(parser); }
        catch (YamlException e) { throw Problem(file, e.Start, $"not valid YAML: {e.InnerException?.Message ?? e.Message}"); }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            throw Problem(file, parser.LastGood, "not valid YAML: the parser stopped after this point (an unclosed '{', '[' or quote?)");
        }
        if (stream.Documents.Count != 1) throw Problem(file, Mark.Empty, $"expected one YAML document, found {stream.Documents.Count}");
        return stream.Documents[0].RootNode;
    }

    /// <summary>A problem at a parser position (YamlDotNet's marks are 1-based; <see cref="Mark.Empty"/> becomes 1:1).</summary>
    public static RecipeException Problem(string file, Mark at, string message) =>
        new([new RecipeProblem(file, Math.Max(1, at.Line), Math.Max(1, at.Column), message)]);

    /// <summary>Remembers where the last successfully parsed event ended.</summary>
    private sealed class TrackingParser(IParser inner) : IParser
    {
        public Mark LastGood { get; private set; } = Mark.Empty;
        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            bool more = inner.MoveNext();
            if (inner.Current is { } e) LastGood = e.End;
            return more;
        }
    }

    /// <summary>YamlDotNet reports this common mistake at 1:1, so find it first.</summary>
    private static (int Line, int Column)? TabIndentation(string text)
    {
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int indent = 0;
            while (indent < lines[i].Length && lines[i][indent] is ' ' or '\t')
            {
                if (lines[i][indent] == '\t') return (i + 1, indent + 1);
                indent++;
            }
        }
        return null;
    }
}
