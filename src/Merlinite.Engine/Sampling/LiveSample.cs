using System.Text;
using Merlinite.Engine.Generation;
using Merlinite.Llama;

namespace Merlinite.Engine.Sampling;

/// <summary>
/// One sample being generated on its own sequence: its sampler chain, the token it feeds next and the text so far.
/// It starts by feeding the prompt's last token (the prompt body is shared through the KV cache).
/// </summary>
internal sealed class LiveSample : IDisposable
{
    private readonly StringBuilder _text = new();
    private readonly Utf8PieceDecoder _utf8 = new();
    private bool _cutAtStop;

    public LiveSample(OpenPrompt prompt, int index, int seqId, uint seed, LlamaSampler sampler)
    {
        Prompt = prompt;
        Index = index;
        SeqId = seqId;
        Seed = seed;
        Sampler = sampler;
        NextToken = prompt.Request.PromptTokens[^1];
        NextPosition = prompt.Request.PromptTokens.Length - 1;
    }

    public OpenPrompt Prompt { get; }
    public int Index { get; }
    public int SeqId { get; }
    public uint Seed { get; }
    public LlamaSampler Sampler { get; }
    public int NextToken { get; private set; }
    public int NextPosition { get; private set; }
    /// <summary>Row of the last decoded batch that holds this sample's logits.</summary>
    public int LogitRow { get; set; }
    public int Generated { get; private set; }
    public FinishReason? Finish { get; private set; }

    /// <summary>Takes the sampled token; afterwards <see cref="Finish"/> is set if the sample is over.</summary>
    public void Take(int token, LlamaVocab vocab, StopStrings stops, int maxTokens, int contextSize)
    {
        if (vocab.IsEog(token)) { Finish = FinishReason.Stop; return; }
        Generated++;
        string piece = _utf8.Push(vocab.TokenToPieceBytes(token));
        _text.Append(piece);
        if (stops.Any && piece.Length > 0)
        {
            int at = stops.Find(_text.ToString(), piece.Length);
            if (at >= 0) { _text.Length = at; _cutAtStop = true; Finish = FinishReason.Stop; return; }
        }
        if (Generated >= maxTokens) { Finish = FinishReason.Length; return; }
        if (NextPosition + 1 >= contextSize) { Finish = FinishReason.ContextFull; return; }
        NextToken = token;
        NextPosition++;
    }

    public SampleOutput ToOutput()
    {
        if (!_cutAtStop) _text.Append(_utf8.Flush()); // bytes after a stop string belong to the cut-off part
        return new SampleOutput(Index, Seed, _text.ToString(), Finish ?? FinishReason.Cancelled, Generated);
    }

    public void Dispose() => Sampler.Dispose();
}

/// <summary>A prompt whose samples are being drawn: how many have started, how many are still running, the results.</summary>
internal sealed class OpenPrompt(int order, SampleRequest request, int n)
{
    public int Order { get; } = order;
    public SampleRequest Request { get; } = request;
    public int Started { get; set; }
    public int Running { get; set; }
    public SampleOutput?[] Results { get; } = new SampleOutput?[n];
    public bool AllStarted => Started == Results.Length;
    public bool Done => AllStarted && Running == 0;
    /// <summary>KV cells of the prompt body (every token but the last), shared by all samples.</summary>
    public int BodyCells => Request.PromptTokens.Length - 1;
    /// <summary>Body tokens decoded so far onto the holder sequence; samples start once all are.</summary>
    public int BodyDecoded { get; set; }
    public bool BodyReady => BodyDecoded == BodyCells;
}
