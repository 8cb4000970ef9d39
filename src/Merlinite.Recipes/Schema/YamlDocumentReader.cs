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
    /// <summary>Deeper nesting is refused: YamlDotNet builds the node tree by recursion, and a file nested 100,000
    /// levels deep overflows the stack (SIGSEGV). Recipes and qna.yaml files nest a handful of levels.</summary>
    public const int MaxDepth = 64;

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
        catch (TooDeepException e)
        {
            throw Problem(file, e.At,
                $"nested more than {MaxDepth} levels deep (lists and mappings inside each other)");
        }
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

    /// <summary>Remembers where the last successfully parsed event ended, and stops at <see cref="MaxDepth"/> levels of
    /// nesting before the node tree is built deeper.</summary>
    private sealed class TrackingParser(IParser inner) : IParser
    {
        private int _depth;
        public Mark LastGood { get; private set; } = Mark.Empty;
        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            bool more = inner.MoveNext();
            if (inner.Current is { } e)
            {
                if (e is MappingStart or SequenceStart && ++_depth > MaxDepth) throw new TooDeepException(e.Start);
                if (e is MappingEnd or SequenceEnd) _depth--;
                LastGood = e.End;
            }
            return more;
        }
    }

    private sealed class TooDeepException(Mark at) : Exception
    {
        public Mark At { get; } = at;
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
