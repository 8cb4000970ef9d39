using System.Text;
using Merlinite.Gguf;

namespace Merlinite.Synth;

/// <summary>Token types as stored in <c>tokenizer.ggml.token_type</c> (gguf-py <c>TokenType</c>, llama.h <c>llama_token_type</c>).</summary>
public enum SentencePieceTokenType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>
/// A SentencePiece-style vocabulary for llama.cpp's SPM tokenizer (<c>tokenizer.ggml.model = "llama"</c>), as used by
/// Mistral/Mixtral: score-ordered pairwise merging of UTF-8 characters, "▁" for spaces with a space prefix, and
/// byte fallback through <c>&lt;0xXX&gt;</c> tokens.
/// <para>Layout (ids are stable for every vocabulary size):</para>
/// <list type="bullet">
/// <item>0 <c>&lt;unk&gt;</c> (UNKNOWN), 1 <c>&lt;s&gt;</c> (CONTROL, BOS), 2 <c>&lt;/s&gt;</c> (CONTROL)</item>
/// <item>3..258 <c>&lt;0x00&gt;</c>..<c>&lt;0xFF&gt;</c> (BYTE)</item>
/// <item>259..263 <c>&lt;|system|&gt;</c>, <c>&lt;|user|&gt;</c>, <c>&lt;|assistant|&gt;</c>, <c>&lt;|endoftext|&gt;</c> (EOS),
///   <c>&lt;|pad|&gt;</c> (PAD), all CONTROL: parsed as single tokens only when the caller asks for special-token
///   parsing, never rendered as text by default, and <c>&lt;|endoftext|&gt;</c> is end-of-generation</item>
/// <item>then single characters ("▁", printable ASCII), then merged pieces learned from a hand-written word list
///   (each the concatenation of two earlier pieces, scores strictly decreasing in merge order), then deterministic
///   padding pieces up to the requested size.</item>
/// </list>
/// </summary>
public sealed class SentencePieceVocabulary
{
    /// <summary>The SentencePiece meta symbol that stands for a space (U+2581).</summary>
    public const string SpaceMarker = "\u2581";

    public const int UnknownId = 0;
    public const int BosId = 1;
    /// <summary>The classic SentencePiece end-of-sentence token; present for compatibility, not the EOS of this vocabulary.</summary>
    public const int SentenceEndId = 2;
    public const int FirstByteId = 3;
    public const int SystemId = 259;
    public const int UserId = 260;
    public const int AssistantId = 261;
    public const int EndOfTextId = 262;
    public const int PadId = 263;
    /// <summary>The end-of-sequence token written as <c>tokenizer.ggml.eos_token_id</c>.</summary>
    public const int EosId = EndOfTextId;

    public const string UnknownPiece = "<unk>";
    public const string BosPiece = "<s>";
    public const string SentenceEndPiece = "</s>";
    public const string SystemPiece = "<|system|>";
    public const string UserPiece = "<|user|>";
    public const string AssistantPiece = "<|assistant|>";
    public const string EndOfTextPiece = "<|endoftext|>";
    public const string PadPiece = "<|pad|>";

    /// <summary>
    /// Jinja chat template of Merlinite's format: per turn
    /// <c>&lt;|system|&gt;\n{sys}\n&lt;|user|&gt;\n{msg}\n&lt;|assistant|&gt;\n{reply}&lt;|endoftext|&gt;</c>.
    /// BOS is not part of the template: the tokenizer adds it (<c>add_bos_token = true</c>).
    /// </summary>
    public const string ChatTemplate =
        "{%- for message in messages -%}\n" +
        "{%- if message['role'] == 'system' -%}\n" +
        "{{- '<|system|>\\n' + message['content'] + '\\n' -}}\n" +
        "{%- elif message['role'] == 'user' -%}\n" +
        "{{- '<|user|>\\n' + message['content'] + '\\n' -}}\n" +
        "{%- elif message['role'] == 'assistant' -%}\n" +
        "{{- '<|assistant|>\\n' + message['content'] + '<|endoftext|>' -}}\n" +
        "{%- else -%}\n" +
        "{{- raise_exception('Unsupported role: ' + message['role']) -}}\n" +
        "{%- endif -%}\n" +
        "{%- endfor -%}\n" +
        "{%- if add_generation_prompt -%}\n" +
        "{{- '<|assistant|>\\n' -}}\n" +
        "{%- endif -%}\n";

    /// <summary>Seed of the padding-piece generator (fixed: the vocabulary depends on its size only, never on a model seed).</summary>
    private const ulong PaddingSeed = 0x766F636162756C61UL;
    private const int MaxPaddingPieceChars = 12;

    private readonly string[] _pieces;
    private readonly float[] _scores;
    private readonly SentencePieceTokenType[] _types;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<int, (int Left, int Right)> _splits;
    private readonly int[] _specialsByLength;

    private SentencePieceVocabulary(List<string> pieces, List<float> scores, List<SentencePieceTokenType> types,
        Dictionary<string, int> ids, Dictionary<int, (int, int)> splits, int baseCount)
    {
        _pieces = pieces.ToArray();
        _scores = scores.ToArray();
        _types = types.ToArray();
        _ids = ids;
        _splits = splits;
        BaseCount = baseCount;
        _specialsByLength = Enumerable.Range(0, _pieces.Length)
            .Where(i => _types[i] is SentencePieceTokenType.Control or SentencePieceTokenType.UserDefined or SentencePieceTokenType.Unknown)
            .OrderByDescending(i => Encoding.UTF8.GetByteCount(_pieces[i])).ThenBy(i => i)
            .ToArray();
    }

    public int Count => _pieces.Length;
    public IReadOnlyList<string> Pieces => _pieces;
    public IReadOnlyList<float> Scores => _scores;
    public IReadOnlyList<SentencePieceTokenType> Types => _types;
    /// <summary>Size of the base vocabulary (before padding pieces); the same for every requested size.</summary>
    public int BaseCount { get; }

    /// <summary>Size of the base vocabulary: the smallest size <see cref="Create"/> accepts.</summary>
    public static int BaseSize => Base.Value.Count;

    private static readonly Lazy<SentencePieceVocabulary> Base = new(() => Build(null));

    /// <summary>
    /// The vocabulary with <paramref name="vocabSize"/> tokens (null: the base vocabulary). Deterministic: the same size
    /// always gives the same pieces, scores and types.
    /// </summary>
    public static SentencePieceVocabulary Create(int? vocabSize = null)
    {
        if (vocabSize is null || vocabSize == BaseSize) return Base.Value;
        if (vocabSize < BaseSize)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize,
                $"the vocabulary needs at least {BaseSize} tokens (the base vocabulary); got {vocabSize}");
        return Build(vocabSize);
    }

    public bool TryGetId(string piece, out int id) => _ids.TryGetValue(piece, out id);

    public int GetId(string piece) => _ids.TryGetValue(piece, out int id)
        ? id
        : throw new KeyNotFoundException($"piece '{piece}' is not in the vocabulary");

    /// <summary>The two pieces a merged piece was built from (both with higher scores); false for non-merged tokens.</summary>
    public bool TryGetSplit(int id, out int left, out int right)
    {
        if (_splits.TryGetValue(id, out var s)) { (left, right) = s; return true; }
        left = right = -1;
        return false;
    }

    /// <summary>The id of the byte-fallback token of byte <paramref name="b"/>.</summary>
    public static int ByteTokenId(byte b) => FirstByteId + b;

    /// <summary>The piece text of the byte-fallback token of byte <paramref name="b"/> (upper-case hex, as llama.cpp looks it up).</summary>
    public static string BytePiece(byte b) => $"<0x{b:X2}>";

    /// <summary>
    /// Writes the <c>tokenizer.*</c> metadata: model "llama" (SPM), tokens, scores, token types, BOS/EOS/UNK/PAD ids,
    /// add_bos_token = true, add_eos_token = false, add_space_prefix = true, and the chat template.
    /// </summary>
    public void WriteTo(GgufWriter writer)
    {
        writer.AddString("tokenizer.ggml.model", "llama");
        writer.AddStringArray("tokenizer.ggml.tokens", _pieces);
        writer.AddFloat32Array("tokenizer.ggml.scores", _scores);
        writer.AddInt32Array("tokenizer.ggml.token_type", _types.Select(t => (int)t).ToArray());
        writer.AddUInt32("tokenizer.ggml.bos_token_id", BosId);
        writer.AddUInt32("tokenizer.ggml.eos_token_id", EosId);
        writer.AddUInt32("tokenizer.ggml.unknown_token_id", UnknownId);
        writer.AddUInt32("tokenizer.ggml.padding_token_id", PadId);
        writer.AddBool("tokenizer.ggml.add_bos_token", true);
        writer.AddBool("tokenizer.ggml.add_eos_token", false);
        writer.AddBool("tokenizer.ggml.add_space_prefix", true);
        writer.AddString("tokenizer.chat_template", ChatTemplate);
    }

    // ------------------------------------------------------------------ reference tokenizer

    /// <summary>
    /// Tokenizes like llama.cpp's SPM tokenizer (<c>llama_tokenize</c>) with this vocabulary's settings
    /// (add_space_prefix = true, add_bos = <paramref name="addBos"/>, no EOS): special tokens (CONTROL, USER_DEFINED,
    /// UNKNOWN; longest first) are split out first when <paramref name="parseSpecial"/> is set (USER_DEFINED always),
    /// every text fragment that follows BOS, a special token or the start gets a leading space, spaces become "▁", then
    /// adjacent symbols are merged by highest score (ties: leftmost), and characters that are no piece fall back to
    /// their UTF-8 bytes. A reference for tests and tools; llama.cpp itself is the authority.
    /// </summary>
    public List<int> Tokenize(string text, bool addBos = true, bool parseSpecial = true)
    {
        var output = new List<int>();
        if (addBos) output.Add(BosId);

        // fragments: (text, -1) raw text or (null, id) a special token
        var fragments = new List<(string? Text, int Token)>();
        if (text.Length > 0) fragments.Add((text, -1));
        foreach (int special in _specialsByLength)
        {
            if (!parseSpecial && _types[special] != SentencePieceTokenType.UserDefined) continue;
            string sp = _pieces[special];
            var next = new List<(string?, int)>(fragments.Count);
            foreach (var (fragText, token) in fragments)
            {
                if (fragText is null) { next.Add((null, token)); continue; }
                int start = 0;
                while (true)
                {
                    int match = fragText.IndexOf(sp, start, StringComparison.Ordinal);
                    if (match < 0) break;
                    if (match > start) next.Add((fragText[start..match], -1));
                    next.Add((null, special));
                    start = match + sp.Length;
                }
                if (start < fragText.Length) next.Add((fragText[start..], -1));
            }
            fragments = next;
        }

        bool prevSpecial = true;
        foreach (var (fragText, token) in fragments)
        {
            if (fragText is null) { output.Add(token); prevSpecial = true; continue; }
            string t = (prevSpecial ? " " : "") + fragText;
            MergeSymbols(t.Replace(" ", SpaceMarker, StringComparison.Ordinal), output);
            prevSpecial = false;
        }
        return output;
    }

    private void MergeSymbols(string text, List<int> output)
    {
        // symbols: UTF-8 characters of the text, as (start, length) in a byte array, linked like llama.cpp's llm_symbol
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var start = new List<int>();
        var len = new List<int>();
        for (int offs = 0; offs < bytes.Length;)
        {
            int n = Utf8Length(bytes[offs]);
            n = Math.Min(n, bytes.Length - offs);
            start.Add(offs);
            len.Add(n);
            offs += n;
        }
        int count = start.Count;
        var prev = new int[count];
        var next = new int[count];
        for (int i = 0; i < count; i++) { prev[i] = i - 1; next[i] = i + 1 == count ? -1 : i + 1; }

        // max-heap on (score, -left)
        var queue = new PriorityQueue<(int Left, int Right, int Size), (float Score, int Left)>(
            Comparer<(float Score, int Left)>.Create((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left)));

        void TryAddBigram(int left, int right)
        {
            if (left == -1 || right == -1) return;
            string s = Encoding.UTF8.GetString(bytes, start[left], len[left] + len[right]);
            if (!_ids.TryGetValue(s, out int id)) return;
            queue.Enqueue((left, right, len[left] + len[right]), (_scores[id], left));
        }

        for (int i = 1; i < count; i++) TryAddBigram(i - 1, i);

        while (queue.TryDequeue(out var bigram, out _))
        {
            if (len[bigram.Left] == 0 || len[bigram.Right] == 0 || len[bigram.Left] + len[bigram.Right] != bigram.Size) continue;
            len[bigram.Left] += len[bigram.Right];
            len[bigram.Right] = 0;
            next[bigram.Left] = next[bigram.Right];
            if (next[bigram.Right] >= 0) prev[next[bigram.Right]] = bigram.Left;
            TryAddBigram(prev[bigram.Left], bigram.Left);
            TryAddBigram(bigram.Left, next[bigram.Left]);
        }

        for (int i = count == 0 ? -1 : 0; i != -1; i = next[i])
        {
            string s = Encoding.UTF8.GetString(bytes, start[i], len[i]);
            if (_ids.TryGetValue(s, out int id)) { output.Add(id); continue; }
            for (int j = 0; j < len[i]; j++) output.Add(ByteTokenId(bytes[start[i] + j]));
        }
    }

    private static int Utf8Length(byte first) => (first >> 4) switch
    {
        12 or 13 => 2,
        14 => 3,
        15 => 4,
        _ => 1,
    };

    // ------------------------------------------------------------------ construction

    private static SentencePieceVocabulary Build(int? vocabSize)
    {
        var pieces = new List<string>();
        var scores = new List<float>();
        var types = new List<SentencePieceTokenType>();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var splits = new Dictionary<int, (int, int)>();

        int Add(string piece, float score, SentencePieceTokenType type)
        {
            if (!ids.TryAdd(piece, pieces.Count)) throw new InvalidOperationException($"duplicate piece '{piece}'");
            pieces.Add(piece);
            scores.Add(score);
            types.Add(type);
            return pieces.Count - 1;
        }

        Add(UnknownPiece, 0f, SentencePieceTokenType.Unknown);
        Add(BosPiece, 0f, SentencePieceTokenType.Control);
        Add(SentenceEndPiece, 0f, SentencePieceTokenType.Control);
        for (int b = 0; b < 256; b++) Add(BytePiece((byte)b), 0f, SentencePieceTokenType.Byte);
        Add(SystemPiece, 0f, SentencePieceTokenType.Control);
        Add(UserPiece, 0f, SentencePieceTokenType.Control);
        Add(AssistantPiece, 0f, SentencePieceTokenType.Control);
        Add(EndOfTextPiece, 0f, SentencePieceTokenType.Control);
        Add(PadPiece, 0f, SentencePieceTokenType.Control);

        // single characters: their scores never matter to the SPM merge (only merged texts are scored); 0 keeps every
        // merge strictly below its parts.
        Add(SpaceMarker, 0f, SentencePieceTokenType.Normal);
        for (char c = '!'; c <= '~'; c++) Add(c.ToString(), 0f, SentencePieceTokenType.Normal);

        // merged pieces, BPE-style over the word list: score -1, -2, ... in merge order
        int score = 0;
        foreach (var (left, right) in LearnMerges())
        {
            string merged = left + right;
            score--;
            int id = Add(merged, score, SentencePieceTokenType.Normal);
            splits[id] = (ids[left], ids[right]);
        }
        int baseCount = pieces.Count;

        if (vocabSize is int target && target > baseCount)
        {
            // Deterministic padding: concatenations of two existing word-like pieces, each scored below everything
            // before it, so the base vocabulary's own merges (and thus the tokenization of the word list) are unchanged.
            var rng = new DeterministicRandom(PaddingSeed);
            var leftPool = new List<int>();
            var rightPool = new List<int>();
            for (int i = 0; i < pieces.Count; i++) Classify(i);
            while (pieces.Count < target)
            {
                int l = leftPool[rng.NextInt(leftPool.Count)];
                int r = rightPool[rng.NextInt(rightPool.Count)];
                string merged = pieces[l] + pieces[r];
                if (merged.Length > MaxPaddingPieceChars || ids.ContainsKey(merged)) continue;
                score--;
                int id = Add(merged, score, SentencePieceTokenType.Normal);
                splits[id] = (l, r);
                Classify(id);
            }

            void Classify(int i)
            {
                if (types[i] != SentencePieceTokenType.Normal) return;
                string p = pieces[i];
                string body = p.StartsWith(SpaceMarker, StringComparison.Ordinal) ? p[SpaceMarker.Length..] : p;
                if (!body.All(char.IsAsciiLetter)) return;
                leftPool.Add(i);                                           // "▁", "▁word", "Word", "ord" ...
                if (body.Length > 0 && body.Length == p.Length && body.All(char.IsAsciiLetterLower))
                    rightPool.Add(i);                                      // lower-case letters, no "▁"
            }
        }

        return new SentencePieceVocabulary(pieces, scores, types, ids, splits, baseCount);
    }

    /// <summary>
    /// Byte-pair-style merge learning over the word list: repeatedly merge the most frequent adjacent pair (weighted;
    /// ties broken by ordinal order of the merged text, then of the left part) until every word is one symbol.
    /// A pair whose merged text already exists is applied without adding a piece.
    /// </summary>
    private static List<(string Left, string Right)> LearnMerges()
    {
        var corpus = new List<(List<string> Symbols, long Weight)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int n = VocabularyWords.Words.Length;
        for (int i = 0; i < n; i++)
        {
            string w = VocabularyWords.Words[i];
            long weight = 4L * (n - i) + 8;   // earlier words are more frequent
            AddWord(SpaceMarker + w, 3 * weight);
            AddWord(w, weight);
        }
        foreach (string w in VocabularyWords.Capitalized)
        {
            AddWord(SpaceMarker + w, 40);
            AddWord(w, 20);
        }

        void AddWord(string word, long weight)
        {
            if (!seen.Add(word)) return;
            corpus.Add((word.EnumerateRunes().Select(r => r.ToString()).ToList(), weight));
        }

        var known = new HashSet<string>(StringComparer.Ordinal) { SpaceMarker };
        for (char c = '!'; c <= '~'; c++) known.Add(c.ToString());

        var merges = new List<(string, string)>();
        while (true)
        {
            var counts = new Dictionary<(string, string), long>();
            foreach (var (symbols, weight) in corpus)
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    var pair = (symbols[i], symbols[i + 1]);
                    counts[pair] = counts.GetValueOrDefault(pair) + weight;
                }
            if (counts.Count == 0) break;

            (string L, string R) best = default;
            long bestCount = -1;
            foreach (var (pair, c) in counts)
            {
                if (c > bestCount || (c == bestCount && ComparePairs(pair, best) < 0)) { best = pair; bestCount = c; }
            }

            string merged = best.L + best.R;
            if (known.Add(merged)) merges.Add(best);
            foreach (var (symbols, _) in corpus)
                for (int i = 0; i + 1 < symbols.Count; i++)
                    if (symbols[i] == best.L && symbols[i + 1] == best.R)
                    {
                        symbols[i] = merged;
                        symbols.RemoveAt(i + 1);
                    }
        }
        return merges;

        static int ComparePairs((string L, string R) a, (string L, string R) b)
        {
            int c = string.CompareOrdinal(a.L + a.R, b.L + b.R);
            return c != 0 ? c : string.CompareOrdinal(a.L, b.L);
        }
    }
}
