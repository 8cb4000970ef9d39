using System.Diagnostics;
using System.Text;
using Merlinite.Engine.Core;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;

namespace Merlinite.Engine.Chat;

/// <summary>
/// One answer at a time on the <see cref="DecodeLoop"/>. The loop's prompt cache remembers which tokens sit in the KV
/// cache, so a multi-turn chat only decodes what is new since the last call.
/// </summary>
public sealed class Generator(LoadedModel model)
{
    private readonly DecodeLoop _loop = new(model);

    /// <summary>Tokens held in the KV cache (the context in use).</summary>
    public int CachedTokens => _loop.MostCachedTokens;

    public void Reset() => _loop.Reset();

    /// <param name="ignoreEos">never stop at an end-of-generation token (they are never sampled): fixed-length
    /// output.</param>
    public GenerationResult Generate(int[] prompt, SamplingOptions options, Action<string>? onText,
        CancellationToken ct, bool ignoreEos = false)
    {
        if (prompt.Length == 0) throw new Settings.SettingException("input", "the prompt tokenized to nothing");
        var stopwatch = Stopwatch.StartNew();
        var sink = new TextSink(onText);
        var request = new GenerateRequest
        {
            Id = "chat",
            PromptTokens = prompt,
            Sampling = options,
            SeedOf = _ => options.Seed,
            BanEndOfGeneration = ignoreEos,
            Deltas = onText is not null,
            Cancellation = ct,
            Sink = sink,
        };
        if (_loop.CheckFits(request) is { } error) throw new Settings.SettingException("context", error);
        var queue = new Queue<GenerateRequest>([request]);
        _loop.Run(_ => queue.TryDequeue(out var next) ? next : null, CancellationToken.None);
        var done = sink.Finished;
        return new GenerationResult(done?.Text ?? sink.Text.ToString(), done?.Reason ?? FinishReason.Cancelled,
            prompt.Length, done?.Tokens ?? 0, options.Seed, stopwatch.Elapsed);
    }

    private sealed class TextSink(Action<string>? onText) : GenerateSink
    {
        public StringBuilder Text { get; } = new();
        public ChoiceFinished? Finished { get; private set; }

        public override void On(GenerateEvent e)
        {
            switch (e)
            {
                case ChoiceDelta { Text.Length: > 0 } d:
                    Text.Append(d.Text);
                    onText?.Invoke(d.Text);
                    break;
                case ChoiceFinished f:
                    Finished = f;
                    break;
            }
        }
    }
}
