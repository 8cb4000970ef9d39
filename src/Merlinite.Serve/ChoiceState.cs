using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Serving;

namespace Merlinite.Serve;

/// <summary>One token as the logprobs of a response show it: its raw bytes (a byte-fallback token's one byte
/// included), its log-prob (null for an echoed prompt's first token), its alternatives and its text offset.</summary>
public sealed record TokenInfo(byte[] Bytes, double? LogProb, IReadOnlyList<(byte[] Bytes, double LogProb)> Top,
    int TextOffset);

/// <summary>A choice of a response being collected from the scheduler's events.</summary>
public sealed class ChoiceState(int index)
{
    public int Index { get; } = index;
    public StringBuilder Text { get; } = new();
    public List<TokenInfo> Tokens { get; } = new();
    public FinishReason? Finish { get; set; }
    public int Generated { get; set; }

    /// <summary>Tokens received so far: what a request logs when its client left before the choice finished.</summary>
    public int Received { get; set; }

    public static string FinishName(FinishReason? r) => r switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length or FinishReason.ContextFull => "length",
        _ => "stop",
    };
}

/// <summary>Turns token ids into the bytes and strings a response shows.</summary>
public sealed class TokenText(LoadedModel model)
{
    /// <summary>The token's own bytes, special tokens rendered: a byte-fallback token (<c>&lt;0xC3&gt;</c>) is the one
    /// byte it stands for, so joining a choice's tokens' bytes rebuilds its text exactly.</summary>
    public byte[] Bytes(int token) => model.TokenBytes(token, special: true);

    /// <summary>The bytes a token adds to the text (control tokens such as BOS add none).</summary>
    public byte[] TextBytes(int token) => model.TokenBytes(token, special: false);

    public IReadOnlyList<(byte[], double)> Top(IReadOnlyList<TokenLogProb> top) =>
        top.Select(t => (Bytes(t.Token), t.LogProb)).ToList();

    /// <summary>
    /// The <c>token</c> string of a token: its text when its bytes are whole UTF-8 characters, else
    /// <c>bytes:\xc3</c>, every byte escaped. Why not U+FFFD (what llama-server and vLLM show): different partial
    /// tokens would get the same string, which collides as a key of the legacy <c>top_logprobs</c> objects (that
    /// shape has no bytes field) and cannot be mapped back. DeepSeek's API escapes such bytes too; the
    /// <c>bytes:</c> prefix keeps the escaped form apart from a token whose text is a backslash and an x.
    /// </summary>
    public static string Display(byte[] bytes)
    {
        if (Utf8.IsValid(bytes)) return Encoding.UTF8.GetString(bytes);
        var sb = new StringBuilder("bytes:", 6 + 4 * bytes.Length);
        foreach (byte b in bytes) sb.Append("\\x").Append(b.ToString("x2", CultureInfo.InvariantCulture));
        return sb.ToString();
    }
}
