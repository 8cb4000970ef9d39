using System.Text;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Serving;

namespace Merlinite.Serve;

/// <summary>One generated token as the logprobs of a response show it.</summary>
public sealed record TokenInfo(string Piece, double? LogProb, IReadOnlyList<(string Piece, double LogProb)> Top, int TextOffset);

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

/// <summary>Turns token ids into the strings a response shows.</summary>
public sealed class TokenText(Merlinite.Llama.LlamaVocab vocab)
{
    public string Piece(int token) => vocab.TokenToPiece(token, special: true);

    /// <summary>Characters the token adds to the text (control tokens such as BOS add none).</summary>
    public int TextLength(int token) => vocab.TokenToPiece(token, special: false).Length;

    public IReadOnlyList<(string, double)> Top(IReadOnlyList<TokenLogProb> top) => top.Select(t => (Piece(t.Token), t.LogProb)).ToList();
}
