using System.Text.RegularExpressions;

namespace Merlinite.Engine.DataGeneration;

/// <summary>
/// Cuts a leaf's documents into passages that fit the teacher's context together with the prompt around them and
/// the reply (InstructLab users hit "context overflow" when a chunk did not, instructlab #1024). Paragraphs are kept
/// whole and packed together while they fit; a paragraph too long for one passage is cut at sentence ends, and a
/// sentence too long at word boundaries. Every passage is measured as the text it is, with the teacher's tokenizer.
/// </summary>
public static partial class DocumentChunker
{
    /// <param name="countTokens">tokens of a text in the teacher's vocabulary (without BOS).</param>
    /// <param name="maxTokens">the passage's room in the context.</param>
    /// <param name="maxWords">words per passage at most.</param>
    public static List<string> Chunk(IEnumerable<LeafDocument> documents, Func<string, int> countTokens, int maxTokens, int maxWords)
    {
        if (maxTokens < 1) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "no room for a passage");
        bool Fits(string text) => Words(text) <= maxWords && countTokens(text) <= maxTokens;
        var chunks = new List<string>();
        foreach (var document in documents)
        {
            string current = "";
            void Flush() { if (current.Length > 0) chunks.Add(current); current = ""; }
            foreach (var piece in Pieces(document.Text, Fits))
            {
                string joined = current.Length == 0 ? piece : current + "\n\n" + piece;
                if (Fits(joined)) { current = joined; continue; }
                Flush();
                current = piece;
            }
            Flush(); // a passage never spans two documents
        }
        return chunks;
    }

    /// <summary>The document's paragraphs, each cut further until every piece fits on its own.</summary>
    private static IEnumerable<string> Pieces(string text, Func<string, bool> fits)
    {
        foreach (var paragraph in ParagraphBreak().Split(text.Replace("\r\n", "\n")).Select(p => p.Trim()).Where(p => p.Length > 0))
        {
            if (fits(paragraph)) { yield return paragraph; continue; }
            foreach (var part in Pack(SentenceEnd().Split(paragraph), " ", fits))
            {
                if (fits(part)) { yield return part; continue; }
                foreach (var words in Pack(part.Split(' ', StringSplitOptions.RemoveEmptyEntries), " ", fits)) yield return words;
            }
        }
    }

    /// <summary>Joins consecutive parts while the result fits; a part that does not fit alone comes out alone.</summary>
    private static IEnumerable<string> Pack(IEnumerable<string> parts, string separator, Func<string, bool> fits)
    {
        string current = "";
        foreach (var part in parts.Where(p => p.Length > 0))
        {
            string joined = current.Length == 0 ? part : current + separator + part;
            if (current.Length == 0 || fits(joined)) { current = joined; continue; }
            yield return current;
            current = part;
        }
        if (current.Length > 0) yield return current;
    }

    public static int Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    [GeneratedRegex(@"\n\s*\n")]
    private static partial Regex ParagraphBreak();

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex SentenceEnd();
}
