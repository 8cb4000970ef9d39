using System.Threading.Channels;
using Merlinite.Engine.Core;

namespace Merlinite.Engine.Serving;

/// <summary>
/// One client request as the server runs it: the <see cref="GenerateRequest"/> the decode loop runs (its choices start
/// together and report deltas), and the channel its events arrive on, in order per choice; the channel completes when
/// the request is done. A request that is not streamed gets a choice's events together when the choice ends, so a
/// reader waiting for the whole answer is not woken for every token.
/// </summary>
public sealed class ServeRequest : GenerateSink
{
    private readonly Dictionary<int, List<GenerateEvent>> _held = new();
    private bool _admitted;

    /// <param name="work">The loop's request for this one's sink (its choices are made to start together and report
    /// deltas here).</param>
    public ServeRequest(bool stream, Func<GenerateSink, GenerateRequest> work)
    {
        Stream = stream;
        var w = work(this);
        if (!w.StartTogether || !w.Deltas)
            throw new ArgumentException("a served request's choices start together and report deltas", nameof(work));
        Work = w;
    }

    public GenerateRequest Work { get; }
    public bool Stream { get; }
    public Channel<GenerateEvent> Events { get; } =
        Channel.CreateUnbounded<GenerateEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    /// <summary>Called once when the request leaves the server's queue (admitted, or dropped before it ran).</summary>
    internal Action? LeftQueue { get; set; }

    public override void Admitted()
    {
        _admitted = true;
        LeftQueue?.Invoke();
    }

    public override void On(GenerateEvent e)
    {
        if (e is ChoiceDelta d && !Stream)
        {
            (_held.TryGetValue(d.Index, out var list) ? list : _held[d.Index] = new()).Add(d);
            return;
        }
        if (e is ChoiceFinished f && _held.Remove(f.Index, out var held))
            foreach (var h in held) Events.Writer.TryWrite(h);
        Events.Writer.TryWrite(e);
    }

    public override void Done()
    {
        if (!_admitted) LeftQueue?.Invoke(); // left the queue without running (cancelled, refused)
        Events.Writer.TryComplete();
    }
}

/// <summary>What <see cref="ServeScheduler.Metrics"/> reports.</summary>
/// <param name="CachedPromptTokens">Prompt tokens not decoded because a sequence still held them from an earlier
/// request (the prompt-prefix cache).</param>
public sealed record ServeMetrics(long Requests, long PromptTokens, long GeneratedTokens, int Queued, int LiveSequences,
    int CellsReserved, int Cells, long CachedPromptTokens = 0);

/// <summary>Why a request can never run on this server: <see cref="Key"/> is the setting it exceeds ("n", or
/// "context" for prompt + max_tokens), so the API can name the field.</summary>
public sealed record ServeRefusal(string Key, string Message);
