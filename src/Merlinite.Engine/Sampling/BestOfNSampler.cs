using System.Diagnostics;
using Merlinite.Engine.Core;
using Merlinite.Engine.Models;

namespace Merlinite.Engine.Sampling;

/// <summary>
/// Draws N samples per prompt on the <see cref="DecodeLoop"/>. One sequence more than the samples that run at once
/// keeps the next prompt's decode going beside the running samples; the samples of a prompt start as sequences free
/// up, so N may exceed them. Each sample has its own sampler chain seeded from (run seed, prompt id, sample index), so
/// its text does not depend on --parallel.
/// </summary>
public sealed class BestOfNSampler
{
    private readonly LoadedModel _model;
    private readonly BestOfNOptions _options;
    private readonly DecodeLoop _loop;

    public BestOfNSampler(LoadedModel model, BestOfNOptions options)
    {
        if (options.N < 1) throw new Settings.SettingException("n", $"must be at least 1 (got {options.N})");
        int slots = model.Context.MaxSequences - 1;
        if (slots < 1)
            throw new InvalidOperationException(
                $"the sampler needs a context with at least {SequencesFor(1)} sequences");
        _model = model;
        _options = options;
        _loop = new DecodeLoop(model, new DecodeLoopOptions { MaxLive = slots });
    }

    /// <summary>Time spent by the last <see cref="Run"/>, by phase.</summary>
    public DecodeTimings Timings => _loop.Timings;

    /// <summary>Samples that run at once.</summary>
    public int Parallel => _loop.MaxLive;

    /// <summary>Sequences a context needs so that <paramref name="parallel"/> samples run at once.</summary>
    public static int SequencesFor(int parallel) => parallel + 1;

    /// <summary>Why a prompt cannot be sampled in this context, or null.</summary>
    public string? CheckFits(SampleRequest request) => _loop.CheckFits(ToWork(request, new Collector(1)));

    /// <summary>Samples every request. <paramref name="onPrompt"/> gets the prompts in input order, each as soon as
    /// it and all before it are done.</summary>
    public void Run(IReadOnlyList<SampleRequest> requests, Action<PromptSamples> onPrompt,
        Action<SampleProgress>? progress, CancellationToken ct)
    {
        foreach (var r in requests)
            if (CheckFits(r) is { } error) throw new Settings.SettingException("context", $"prompt '{r.Id}': {error}");

        var finished = new PromptSamples?[requests.Count];
        int nextRequest = 0, emitted = 0;
        var clock = Stopwatch.StartNew();
        long generatedBefore = _loop.Counts.GeneratedTokens;
        // Each run starts from an empty KV cache, so its decodes do not depend on what ran before (resumed blocks).
        _loop.Reset();
        _loop.Run(_ =>
        {
            if (nextRequest == requests.Count) return null;
            int order = nextRequest++;
            return ToWork(requests[order], new Collector(_options.N, samples =>
            {
                finished[order] = new PromptSamples(requests[order], samples);
                while (emitted < finished.Length && finished[emitted] is { } ready)
                {
                    onPrompt(ready);
                    finished[emitted++] = null;
                }
            }));
        }, ct, progress is null ? null : () => progress(new SampleProgress(emitted, requests.Count,
            _loop.Counts.GeneratedTokens - generatedBefore, _loop.Counts.LiveChoices, clock.Elapsed)));
    }

    private GenerateRequest ToWork(SampleRequest request, Collector collector) => new()
    {
        Id = request.Id,
        PromptTokens = request.PromptTokens,
        Choices = _options.N,
        Sampling = _options.Sampling,
        SeedOf = k => SampleSeeds.Derive(_options.Sampling.Seed, request.Id, k),
        Stops = _options.Stops,
        BanEndOfGeneration = _options.IgnoreEndOfGeneration,
        Sink = collector,
    };

    /// <summary>The samples of one prompt as they finish; all of them to <paramref name="onDone"/>.</summary>
    private sealed class Collector(int n, Action<IReadOnlyList<SampleOutput>>? onDone = null) : GenerateSink
    {
        private readonly SampleOutput?[] _samples = new SampleOutput?[n];

        public override void On(GenerateEvent e)
        {
            if (e is ChoiceFinished f)
                _samples[f.Index] = new SampleOutput(f.Index, f.Seed, f.Text, f.Reason, f.Tokens);
        }

        public override void Done()
        {
            if (_samples.All(s => s is not null)) onDone?.Invoke(_samples!);
        }
    }
}
