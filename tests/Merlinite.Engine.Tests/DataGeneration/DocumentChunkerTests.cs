using Merlinite.Engine.DataGeneration;

namespace Merlinite.Engine.Tests.DataGeneration;

/// <summary>Passages fit the room they are given (tokens and words), keep paragraphs whole where they can, never
/// join two documents, and lose no word.</summary>
public sealed class DocumentChunkerTests
{
    // A stand-in tokenizer: one token per 4 characters, rounded up (the real one is tested with a model below).
    private static int Tokens(string text) => (text.Length + 3) / 4;

    private static string Paragraph(int words, string prefix) => string.Join(' ', Enumerable.Range(0, words).Select(i => $"{prefix}{i}."));

    [Fact]
    public void Every_passage_fits_and_no_word_is_lost()
    {
        var docs = new[]
        {
            new LeafDocument("a.md", string.Join("\n\n", Enumerable.Range(0, 12).Select(i => Paragraph(5 + 7 * i, $"a{i}w")))),
            new LeafDocument("b.md", Paragraph(400, "b") + "\r\n\r\n" + Paragraph(3, "c")),
        };
        var chunks = DocumentChunker.Chunk(docs, Tokens, maxTokens: 60, maxWords: 40);
        Assert.All(chunks, c => Assert.True(Tokens(c) <= 60 && DocumentChunker.Words(c) <= 40, $"{Tokens(c)} tokens, {DocumentChunker.Words(c)} words: {c}"));
        var words = docs.SelectMany(d => d.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(words, chunks.SelectMany(c => c.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)));
        Assert.DoesNotContain(chunks, c => c.Contains("a11w", StringComparison.Ordinal) && c.Contains("b0.", StringComparison.Ordinal));
    }

    [Fact]
    public void Small_paragraphs_are_packed_whole_and_a_long_one_is_cut_at_sentences()
    {
        string text = "One two three.\n\nFour five six.\n\nSeven eight nine.\n\n" + "Alpha beta gamma. Delta epsilon zeta. Eta theta iota. Kappa lambda mu.";
        var chunks = DocumentChunker.Chunk([new LeafDocument("d.md", text)], t => DocumentChunker.Words(t), maxTokens: 7, maxWords: 100);
        Assert.Equal(["One two three.\n\nFour five six.", "Seven eight nine.", "Alpha beta gamma. Delta epsilon zeta.", "Eta theta iota. Kappa lambda mu."], chunks);
    }

    [Fact]
    public void No_room_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DocumentChunker.Chunk([new LeafDocument("d.md", "x")], Tokens, 0, 10));
    }
}
