using Merlinite.Synth;

namespace Merlinite.Synth.Tests;

public class SentencePieceVocabularyTests
{
    private static readonly SentencePieceVocabulary Base = SentencePieceVocabulary.Create();

    [Fact]
    public void SpecialTokens_HaveFixedIdsAndTypes()
    {
        var v = Base;
        Assert.Equal(("<unk>", SentencePieceTokenType.Unknown), (v.Pieces[0], v.Types[0]));
        Assert.Equal(("<s>", SentencePieceTokenType.Control), (v.Pieces[1], v.Types[1]));
        Assert.Equal(("</s>", SentencePieceTokenType.Control), (v.Pieces[2], v.Types[2]));
        Assert.Equal(SentencePieceVocabulary.UnknownId, v.GetId("<unk>"));
        Assert.Equal(SentencePieceVocabulary.BosId, v.GetId("<s>"));
        Assert.Equal(SentencePieceVocabulary.SystemId, v.GetId("<|system|>"));
        Assert.Equal(SentencePieceVocabulary.UserId, v.GetId("<|user|>"));
        Assert.Equal(SentencePieceVocabulary.AssistantId, v.GetId("<|assistant|>"));
        Assert.Equal(SentencePieceVocabulary.EosId, v.GetId("<|endoftext|>"));
        Assert.Equal(SentencePieceVocabulary.PadId, v.GetId("<|pad|>"));
        foreach (int id in new[] { 259, 260, 261, 262, 263 })
            Assert.Equal(SentencePieceTokenType.Control, v.Types[id]);
    }

    [Fact]
    public void HasAll256ByteTokens()
    {
        var v = Base;
        Assert.Equal(256, v.Types.Count(t => t == SentencePieceTokenType.Byte));
        for (int b = 0; b < 256; b++)
        {
            int id = SentencePieceVocabulary.ByteTokenId((byte)b);
            Assert.Equal($"<0x{b:X2}>", v.Pieces[id]);
            Assert.Equal(SentencePieceTokenType.Byte, v.Types[id]);
        }
        Assert.Equal("<0x0A>", v.Pieces[SentencePieceVocabulary.ByteTokenId((byte)'\n')]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(4096)]
    [InlineData(32000)]
    public void PiecesAreUnique_AndEveryMergedPieceSplitsIntoTwoHigherScoredPieces(int? size)
    {
        var v = SentencePieceVocabulary.Create(size);
        if (size is int n) Assert.Equal(n, v.Count);
        Assert.Equal(v.Count, v.Pieces.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(v.Count, v.Scores.Count);
        Assert.Equal(v.Count, v.Types.Count);

        int merged = 0;
        for (int id = 0; id < v.Count; id++)
        {
            if (v.Types[id] != SentencePieceTokenType.Normal) continue;
            string piece = v.Pieces[id];
            Assert.False(string.IsNullOrEmpty(piece));
            Assert.DoesNotContain(' ', piece);
            if (piece.EnumerateRunes().Count() == 1) continue;   // single characters need no merge
            merged++;

            // the recorded split
            Assert.True(v.TryGetSplit(id, out int l, out int r), $"no split for '{piece}'");
            Assert.Equal(piece, v.Pieces[l] + v.Pieces[r]);
            Assert.True(v.Scores[l] > v.Scores[id] && v.Scores[r] > v.Scores[id], $"'{piece}' scores above its parts");

            // independently: some split into two existing normal pieces with higher scores
            bool reachable = false;
            for (int k = 1; k < piece.Length && !reachable; k++)
            {
                if (char.IsLowSurrogate(piece[k])) continue;
                reachable = v.TryGetId(piece[..k], out int a) && v.TryGetId(piece[k..], out int b)
                    && v.Types[a] == SentencePieceTokenType.Normal && v.Types[b] == SentencePieceTokenType.Normal
                    && v.Scores[a] > v.Scores[id] && v.Scores[b] > v.Scores[id];
            }
            Assert.True(reachable, $"'{piece}' is not reachable by a pairwise merge");
        }
        Assert.InRange(merged, 300, int.MaxValue);
    }

    [Fact]
    public void EveryListedWord_TokenizesToOnePiece_AfterASpaceAndAtLineStart()
    {
        var v = Base;
        foreach (string w in VocabularyWords.Words.Concat(VocabularyWords.Capitalized))
        {
            // leading space prefix: "w" -> "▁w"
            var ids = v.Tokenize(w, addBos: false);
            Assert.Equal(["\u2581" + w], ids.Select(i => v.Pieces[i]));
            // after a newline (no space): "▁", "<0x0A>", "w"
            ids = v.Tokenize("\n" + w, addBos: false);
            Assert.Equal(["\u2581", "<0x0A>", w], ids.Select(i => v.Pieces[i]));
        }
    }

    [Fact]
    public void Tokenize_ParsesSpecialsAsSingleTokens()
    {
        var v = Base;
        var ids = v.Tokenize("<|user|>\nhello world<|endoftext|>", addBos: true, parseSpecial: true);
        Assert.Equal(["<s>", "<|user|>", "\u2581", "<0x0A>", "hello", "\u2581world", "<|endoftext|>"], ids.Select(i => v.Pieces[i]));

        // without special parsing the markers are plain text
        ids = v.Tokenize("<|user|>", addBos: false, parseSpecial: false);
        Assert.DoesNotContain(SentencePieceVocabulary.UserId, ids);
        Assert.True(ids.Count > 1);
    }

    [Fact]
    public void Tokenize_FallsBackToBytes_AndKeepsDigitsSeparate()
    {
        var v = Base;
        var ids = v.Tokenize("é 42", addBos: false);
        Assert.Equal(["\u2581", "<0xC3>", "<0xA9>", "\u2581", "4", "2"], ids.Select(i => v.Pieces[i]));
    }

    [Fact]
    public void Padding_IsDeterministic_AndKeepsTheBaseVocabulary()
    {
        var a = SentencePieceVocabulary.Create(2048);
        var b = SentencePieceVocabulary.Create(2048);
        Assert.Equal(a.Pieces, b.Pieces);
        Assert.Equal(a.Scores, b.Scores);
        var big = SentencePieceVocabulary.Create(4096);
        Assert.Equal(a.Pieces, big.Pieces.Take(2048));
        Assert.Equal(Base.Pieces, a.Pieces.Take(Base.Count));
        Assert.Equal(Base.Count, a.BaseCount);
        // scores strictly decrease over all merged and padding pieces, in id order
        var mergedScores = Enumerable.Range(0, big.Count).Where(i => big.Scores[i] < 0).Select(i => big.Scores[i]).ToList();
        Assert.True(mergedScores.Zip(mergedScores.Skip(1)).All(p => p.First > p.Second));
    }

    [Fact]
    public void Create_RejectsSizesBelowTheBase()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => SentencePieceVocabulary.Create(SentencePieceVocabulary.BaseSize - 1));
        Assert.Contains("at least", ex.Message);
    }

    [Fact]
    public void ChatTemplate_MentionsEveryMarker()
    {
        foreach (string marker in new[] { "<|system|>", "<|user|>", "<|assistant|>", "<|endoftext|>", "add_generation_prompt" })
            Assert.Contains(marker, SentencePieceVocabulary.ChatTemplate);
    }
}
