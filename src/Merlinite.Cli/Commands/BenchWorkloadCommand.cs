using System.CommandLine;
using System.Diagnostics;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Sampling;

namespace Merlinite.Cli.Commands;

/// <summary>
/// Best-of-N sampling on a mixed workload: many prompts of different lengths, samples that end at different lengths
/// (a stop string). Continuous batching (one run, samples replaced as they end, the next prompt's body decoded in the
/// same batches) against a fixed batch (each prompt's N samples together, the batch waiting for its longest sample,
/// as a tool that batches one prompt at a time does).
/// </summary>
public static class BenchWorkloadCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "the GGUF model to sample from", Required = true, HelpName = "M.gguf" };
        var prompts = new Option<int>("--prompts") { Description = "prompts", DefaultValueFactory = _ => 32 };
        var n = new Option<int>("--n") { Description = "samples per prompt", DefaultValueFactory = _ => 8 };
        var parallel = new Option<int>("--parallel") { Description = "samples decoded together in continuous mode", DefaultValueFactory = _ => 16 };
        var minPrompt = new Option<int>("--min-prompt") { Description = "shortest prompt (tokens)", DefaultValueFactory = _ => 32 };
        var maxPrompt = new Option<int>("--max-prompt") { Description = "longest prompt (tokens)", DefaultValueFactory = _ => 256 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "token limit per sample", DefaultValueFactory = _ => 96 };
        var stop = new Option<string>("--stop") { Description = "stop string that ends samples early, at varied lengths ('' for none)", DefaultValueFactory = _ => "dog" };
        var fixedToo = new Option<bool>("--no-fixed") { Description = "skip the fixed-batch schedule" };
        var threads = Flags.Threads();
        var cmd = new Command("workload", "Continuous batching vs a fixed batch per prompt, on prompts and samples of mixed lengths.")
        {
            model, prompts, n, parallel, minPrompt, maxPrompt, maxTokens, stop, threads, fixedToo,
        };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(model)!;
            if (!path.Exists) throw new UsageException($"model file not found: {path.FullName}");
            int P = parse.GetValue(prompts), N = parse.GetValue(n), par = parse.GetValue(parallel);
            int lo = parse.GetValue(minPrompt), hi = parse.GetValue(maxPrompt), max = parse.GetValue(maxTokens);
            if (P < 1 || N < 1 || par < 1 || lo < 2 || hi < lo || max < 1) throw new UsageException("--prompts, --n, --parallel, --max-tokens must be >= 1 and 2 <= --min-prompt <= --max-prompt");
            var runtime = new Engine.Settings.RuntimeSettings { Threads = parse.GetValue(threads), Context = hi + Math.Max(par, N) * (max + 1) + 256 };
            var load = new ModelLoadOptions { Model = new ModelSpec(path.FullName), Runtime = runtime, BatchSize = 512 };
            var requests = RandomRequests(load, P, lo, hi);
            var options = new BestOfNOptions { Sampling = new SamplingOptions { MaxTokens = max, Seed = 1 }, N = N,
                Stops = parse.GetValue(stop) is { Length: > 0 } st ? [st] : [] };

            Console.WriteLine($"model {path.Name}, threads {runtime.EffectiveThreads}, {P} prompts of {lo}-{hi} tokens, N = {N}, up to {max} tokens per sample, stop \"{parse.GetValue(stop)}\"");
            var (cont, contTokens, contLengths) = Time(load, par, options, requests, perPrompt: false);
            var (fixd, fixdTokens, _) = parse.GetValue(fixedToo) ? (double.NaN, 0L, new List<int>()) : Time(load, N, options, requests, perPrompt: true);
            // With F16 or quantized weights the samples depend slightly on the batch (docs/benchmarks.md), so the two
            // schedules generate similar, not identical, token counts: compare tokens per second.
            Console.WriteLine($"samples: {contLengths.Count}, mean {contLengths.Average():F1} tokens, {contLengths.Count(l => l == max)} reached the limit");
            Console.WriteLine($"{"schedule",-44} {"seconds",8} {"tokens",8} {"tok/s",8}");
            Console.WriteLine($"{"continuous (parallel=" + par + ", chunked prefill)",-44} {cont,8:F2} {contTokens,8} {contTokens / cont,8:F1}");
            if (double.IsNaN(fixd)) return ExitCodes.Ok;
            Console.WriteLine($"{"fixed batch per prompt (parallel=" + N + ")",-44} {fixd,8:F2} {fixdTokens,8} {fixdTokens / fixd,8:F1}");
            Console.WriteLine($"continuous / fixed (tok/s): {contTokens / cont / (fixdTokens / fixd):F2}x");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static (double Seconds, long Tokens, List<int> Lengths) Time(ModelLoadOptions load, int parallel, BestOfNOptions options,
        IReadOnlyList<SampleRequest> requests, bool perPrompt)
    {
        using var model = LoadedModel.Load(load with { Sequences = BestOfNSampler.SequencesFor(parallel) });
        var sampler = new BestOfNSampler(model, options);
        var lengths = new List<int>();
        var clock = Stopwatch.StartNew();
        foreach (var batch in perPrompt ? requests.Select(r => (IReadOnlyList<SampleRequest>)[r]) : [requests])
            sampler.Run(batch, done => lengths.AddRange(done.Samples.Select(s => s.Tokens)), null, CancellationToken.None);
        return (clock.Elapsed.TotalSeconds, lengths.Sum(l => (long)l), lengths);
    }

    /// <summary>BOS then deterministic random ordinary tokens, lengths uniform in [lo, hi].</summary>
    private static List<SampleRequest> RandomRequests(ModelLoadOptions load, int count, int lo, int hi)
    {
        using var probe = LoadedModel.Load(load with { Runtime = load.Runtime with { Context = 64 } });
        var vocab = probe.Vocab;
        var ordinary = Enumerable.Range(0, vocab.Count).Where(t => !vocab.IsControl(t) && !vocab.IsEog(t)).ToArray();
        var rng = new Random(1234);
        return Enumerable.Range(0, count).Select(i =>
        {
            var prompt = new int[rng.Next(lo, hi + 1)];
            prompt[0] = vocab.Bos;
            for (int j = 1; j < prompt.Length; j++) prompt[j] = ordinary[rng.Next(ordinary.Length)];
            return new SampleRequest($"p{i}", prompt);
        }).ToList();
    }
}
