using System.Text;
using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary>The vocabulary of a <see cref="LlamaModel"/> (<c>llama_vocab</c>, owned by the model). Token ids are checked
/// against <see cref="Count"/> before they reach llama.cpp, which would abort on an out-of-range id.</summary>
public sealed unsafe class LlamaVocab
{
    private readonly LlamaModel _model;
    private readonly llama_vocab* _vocab;

    internal LlamaVocab(LlamaModel model, llama_vocab* vocab)
    {
        _model = model;
        _vocab = vocab;
        Count = LlamaNative.llama_vocab_n_tokens(vocab);
    }

    /// <summary>The native pointer (valid while the model is). Throws once the model is disposed.</summary>
    public llama_vocab* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_model.Handle.IsClosed, _model);
            return _vocab;
        }
    }

    /// <summary><c>llama_vocab_n_tokens</c></summary>
    public int Count { get; }
    public LlamaVocabType Type => LlamaNative.llama_vocab_type(Pointer);

    public int Bos => LlamaNative.llama_vocab_bos(Pointer);
    public int Eos => LlamaNative.llama_vocab_eos(Pointer);
    public int Eot => LlamaNative.llama_vocab_eot(Pointer);
    public int Sep => LlamaNative.llama_vocab_sep(Pointer);
    public int Newline => LlamaNative.llama_vocab_nl(Pointer);
    public int Pad => LlamaNative.llama_vocab_pad(Pointer);
    public int Mask => LlamaNative.llama_vocab_mask(Pointer);
    public int FimPre => LlamaNative.llama_vocab_fim_pre(Pointer);
    public int FimSuf => LlamaNative.llama_vocab_fim_suf(Pointer);
    public int FimMid => LlamaNative.llama_vocab_fim_mid(Pointer);
    public int FimPad => LlamaNative.llama_vocab_fim_pad(Pointer);
    public int FimRep => LlamaNative.llama_vocab_fim_rep(Pointer);
    public int FimSep => LlamaNative.llama_vocab_fim_sep(Pointer);
    public bool AddBos => LlamaNative.llama_vocab_get_add_bos(Pointer);
    public bool AddEos => LlamaNative.llama_vocab_get_add_eos(Pointer);
    public bool AddSep => LlamaNative.llama_vocab_get_add_sep(Pointer);

    /// <summary>Tokens the model asks to suppress (<c>tokenizer.ggml.suppress_tokens</c>).</summary>
    public int[] GetSuppressTokens()
    {
        int n = 0;
        int* p = LlamaNative.llama_vocab_get_suppress_tokens(Pointer, &n);
        return p == null || n <= 0 ? [] : new ReadOnlySpan<int>(p, n).ToArray();
    }

    public bool IsValid(int token) => (uint)token < (uint)Count;

    private void Check(int token)
    {
        if ((uint)token >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(token), token, $"token id outside the vocabulary [0, {Count})");
    }

    /// <summary><c>llama_vocab_get_text</c>: the token's text as stored in the vocabulary.</summary>
    public string GetText(int token) { Check(token); return LlamaRuntime.Utf8(LlamaNative.llama_vocab_get_text(Pointer, token)) ?? ""; }
    public float GetScore(int token) { Check(token); return LlamaNative.llama_vocab_get_score(Pointer, token); }
    public LlamaTokenAttr GetAttr(int token) { Check(token); return LlamaNative.llama_vocab_get_attr(Pointer, token); }
    /// <summary>End of generation (EOS, EOT, ...)?</summary>
    /// <summary>Every end-of-generation token of the vocabulary.</summary>
    public IReadOnlyList<int> EndOfGenerationTokens =>
        _endOfGeneration ??= Enumerable.Range(0, Count).Where(IsEog).ToArray();
    private int[]? _endOfGeneration;

    public bool IsEog(int token) => IsValid(token) && LlamaNative.llama_vocab_is_eog(Pointer, token);
    public bool IsControl(int token) => IsValid(token) && LlamaNative.llama_vocab_is_control(Pointer, token);

    // ------------------------------------------------------------------ tokenize

    /// <summary>Tokenizes text. <paramref name="addSpecial"/>: add BOS/EOS if the model wants them;
    /// <paramref name="parseSpecial"/>: recognize special/control tokens written in the text.</summary>
    public int[] Tokenize(string text, bool addSpecial, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Tokenize(Encoding.UTF8.GetBytes(text), addSpecial, parseSpecial);
    }

    /// <summary>Tokenizes UTF-8 text (grows the output on llama.cpp's negative-return protocol).</summary>
    public int[] Tokenize(ReadOnlySpan<byte> utf8, bool addSpecial, bool parseSpecial)
    {
        int[] tokens = new int[utf8.Length + 8];
        int n = Tokenize(utf8, tokens, addSpecial, parseSpecial);
        if (n < 0)
        {
            if (n == int.MinValue) throw new LlamaException("tokenization overflowed (more than int.MaxValue tokens)");
            tokens = new int[-n];
            n = Tokenize(utf8, tokens, addSpecial, parseSpecial);
            if (n < 0) throw new LlamaException($"llama_tokenize asked for {-n} tokens after a resize to {tokens.Length}");
        }
        return n == tokens.Length ? tokens : tokens.AsSpan(0, n).ToArray();
    }

    /// <summary>Raw <c>llama_tokenize</c>: the number of tokens written, or minus the number needed.</summary>
    public int Tokenize(ReadOnlySpan<byte> utf8, Span<int> tokens, bool addSpecial, bool parseSpecial)
    {
        byte empty = 0;
        fixed (byte* t = utf8)
        fixed (int* o = tokens)
        {
            return LlamaNative.llama_tokenize(Pointer, t == null ? &empty : t, utf8.Length, o, tokens.Length, addSpecial, parseSpecial);
        }
    }

    // ------------------------------------------------------------------ detokenize

    /// <summary>The bytes of one token's piece (may be an incomplete UTF-8 sequence: join pieces before decoding).
    /// <paramref name="special"/>: render special tokens; <paramref name="lstrip"/>: skip up to that many leading spaces.</summary>
    public byte[] TokenToPieceBytes(int token, bool special = false, int lstrip = 0)
    {
        Span<byte> small = stackalloc byte[64];
        int n = TokenToPiece(token, small, special, lstrip);
        if (n >= 0) return small[..n].ToArray();
        var big = new byte[-n];
        n = TokenToPiece(token, big, special, lstrip);
        if (n < 0) throw new LlamaException($"llama_token_to_piece asked for {-n} bytes after a resize to {big.Length}");
        return n == big.Length ? big : big.AsSpan(0, n).ToArray();
    }

    /// <summary>One token's piece as text (an incomplete UTF-8 sequence decodes to U+FFFD: prefer
    /// <see cref="TokenToPieceBytes"/> when streaming).</summary>
    public string TokenToPiece(int token, bool special = false) => Encoding.UTF8.GetString(TokenToPieceBytes(token, special));

    /// <summary>Raw <c>llama_token_to_piece</c>: bytes written (no NUL), or minus the number needed.</summary>
    public int TokenToPiece(int token, Span<byte> buffer, bool special = false, int lstrip = 0)
    {
        Check(token);
        fixed (byte* b = buffer) return LlamaNative.llama_token_to_piece(Pointer, token, b, buffer.Length, lstrip, special);
    }

    /// <summary><c>llama_detokenize</c> into a string. <paramref name="removeSpecial"/>: drop BOS/EOS the model adds;
    /// <paramref name="unparseSpecial"/>: render special tokens.</summary>
    public string Detokenize(ReadOnlySpan<int> tokens, bool removeSpecial = false, bool unparseSpecial = false)
    {
        foreach (int t in tokens) Check(t);
        byte[] buf = new byte[Math.Max(16, tokens.Length * 8)];
        int n = Detokenize(tokens, buf, removeSpecial, unparseSpecial);
        if (n < 0)
        {
            buf = new byte[-n];
            n = Detokenize(tokens, buf, removeSpecial, unparseSpecial);
            if (n < 0) throw new LlamaException($"llama_detokenize asked for {-n} bytes after a resize to {buf.Length}");
        }
        return Encoding.UTF8.GetString(buf, 0, n);
    }

    private int Detokenize(ReadOnlySpan<int> tokens, Span<byte> text, bool removeSpecial, bool unparseSpecial)
    {
        int dummy = 0;
        fixed (int* t = tokens)
        fixed (byte* o = text)
        {
            return LlamaNative.llama_detokenize(Pointer, t == null ? &dummy : t, tokens.Length, o, text.Length, removeSpecial, unparseSpecial);
        }
    }
}
