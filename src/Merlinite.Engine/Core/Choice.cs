using System.Text;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Scoring;
using Merlinite.Llama;

namespace Merlinite.Engine.Core;

/// <summary>
/// One answer being generated on its own sequence: its sampler chain, the token it feeds next, the tokens it has
/// decoded (what its sequence's KV cache holds beyond the prompt body) and its text. It starts by feeding the prompt's
/// last token; the body is shared through the KV cache.
/// </summary>
internal sealed class Choice : IDisposable
{
    private readonly StringBuilder _text = new();
    private readonly Utf8PieceDecoder _utf8 = new();
    private readonly StopStrings _stops;
    private readonly List<int> _fed = new();
    private int _sent;          // characters of the text already reported in deltas
    private bool _cutAtStop;

    public Choice(OpenRequest open, int index, int seq, LlamaSampler sampler, uint seed)
    {
        Open = open;
        Index = index;
        Seq = seq;
        Sampler = sampler;
        Seed = seed;
        _stops = new StopStrings(open.Request.Stops);
        NextToken = open.Request.PromptTokens[^1];
        NextPosition = open.Request.BodyCells;
    }

    public OpenRequest Open { get; }
    public GenerateRequest Request => Open.Request;
    public int Index { get; }
    public int Seq { get; }
    public LlamaSampler Sampler { get; }
    public uint Seed { get; }
    public int NextToken { get; private set; }
    public int NextPosition { get; private set; }
    /// <summary>Row of the last decoded batch that holds this choice's logits.</summary>
    public int Row { get; set; }
    public int Generated { get; private set; }
    public FinishReason? Finish { get; private set; }

    /// <summary>The token just fed went through llama_decode: it is in this sequence's KV cache now.</summary>
    public void Decoded() => _fed.Add(NextToken);

    /// <summary>The tokens this sequence's KV cache holds: the prompt body, then what this choice decoded.</summary>
    public int[] CachedTokens() => [.. Request.PromptTokens.AsSpan(0, Request.BodyCells), .. _fed];

    /// <summary>Takes the sampled token; afterwards <see cref="Finish"/> is set if the choice is over. Returns the
    /// delta to report when the request wants them.</summary>
    public ChoiceDelta? Take(int token, LlamaVocab vocab, int contextSize, ScoredToken? scored)
    {
        if (vocab.IsEog(token)) { Finish = FinishReason.Stop; return null; }
        Generated++;
        string piece = _utf8.Push(vocab.TokenToPieceBytes(token));
        _text.Append(piece);
        int stop = _stops.Any && piece.Length > 0 ? _stops.Find(_text.ToString(), piece.Length) : -1;
        var delta = Request.Deltas
            // Text that could still turn out to be the start of a stop string is held back until it cannot.
            ? new ChoiceDelta(Index, token, piece,
                Release(stop >= 0 ? stop : _text.Length - _stops.PartialSuffix(_text.ToString())),
                scored?.LogProb, scored?.Top ?? [])
            : null;
        if (stop >= 0) { _text.Length = stop; _cutAtStop = true; Finish = FinishReason.Stop; }
        else if (Generated >= Request.Sampling.MaxTokens) Finish = FinishReason.Length;
        else if (NextPosition + 1 >= contextSize) Finish = FinishReason.ContextFull;
        else
        {
            NextToken = token;
            NextPosition++;
        }
        return delta;
    }

    /// <summary>Ends the choice: the text held back for a stop string that never came, and any incomplete UTF-8 at the
    /// end (bytes after a stop string belong to the cut-off part), then the finish.</summary>
    public IEnumerable<GenerateEvent> End(FinishReason reason)
    {
        Finish = reason;
        if (!_cutAtStop) _text.Append(_utf8.Flush());
        if (Request.Deltas && Release(_text.Length) is { Length: > 0 } rest)
            yield return new ChoiceDelta(Index, -1, "", rest, null, []);
        yield return new ChoiceFinished(Index, reason, Generated, _text.ToString(), Seed);
    }

    private string Release(int upTo)
    {
        if (upTo <= _sent) return "";
        string text = _text.ToString(_sent, upTo - _sent);
        _sent = upTo;
        return text;
    }

    public void Dispose() => Sampler.Dispose();
}

/// <summary>A request in the loop: the sequence its prompt is decoded on (the source its choices copy the prompt from),
/// how far that got, and its choices started and running.</summary>
internal sealed class OpenRequest(GenerateRequest request, int seq, int decoded, int cells)
{
    public GenerateRequest Request { get; } = request;
    public int Seq { get; } = seq;
    /// <summary>Body tokens in the KV cache of <see cref="Seq"/>; choices start once all are.</summary>
    public int Decoded { get; set; } = decoded;
    /// <summary>KV cells reserved for the request (a buffer shared by all sequences).</summary>
    public int Cells { get; set; } = cells;
    public int Started { get; set; }
    public int Running { get; set; }
    public bool PromptReady => Decoded == Request.BodyCells;
    public bool AllStarted => Started == Request.ChoicesToRun;
    public bool Done => PromptReady && AllStarted && Running == 0;
    /// <summary>The prompt's own scores as its chunks are decoded (<see
    /// cref="GenerateRequest.ScorePrompt"/>).</summary>
    public ScoredToken?[]? PromptScores { get; set; }
}
