using System.CommandLine;
using System.Diagnostics;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Core;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Sampling;

namespace Merlinite.Cli.Commands;

/// <summary>
/// Best-of-N sampling speed on the shape of llama-batched-bench -pps: one shared prompt of random tokens, N samples of
/// exactly G new tokens each (end-of-generation banned), all N in one batch vs one sample at a time.
/// </summary>
public static class BenchSampleCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "the GGUF model to sample from", Required = true, HelpName = "M.gguf" };
        var ns = new Option<string>("--n") { Description = "samples per prompt, comma-separated (each is one row)", DefaultValueFactory = _ => "8,16" };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "tokens in the shared prompt", DefaultValueFactory = _ => 128 };
        var genTokens = new Option<int>("--gen-tokens") { Description = "new tokens per sample", DefaultValueFactory = _ => 64 };
        var threads = Flags.Threads();
        var reps = new Option<int>("--reps") { Description = "repetitions; the best time of each mode is reported", DefaultValueFactory = _ => 3 };
        var fast = new Option<bool>("--fast-attn") { Description = "F16 KV cache and flash attention (llama.cpp's defaults, what llama-batched-bench uses) instead of sample's exact default" };
        var single = new Option<bool>("--no-single") { Description = "skip the one-sample-at-a-time baseline" };
        var perSequence = new Option<bool>("--kv-per-sequence") { Description = "one KV buffer per sequence instead of one shared buffer" };
        var record = BenchRecord.Option();
        var cmd = new Command("sample", "Best-of-N sampling throughput: N samples of one shared prompt together vs one at a time.")
        {
            model, ns, promptTokens, genTokens, threads, reps, fast, single, perSequence, Flags.Reproducible(), record,
        };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(model)!;
            if (!path.Exists) throw new UsageException($"model file not found: {path.FullName}");
            int pt = parse.GetValue(promptTokens), gt = parse.GetValue(genTokens), r = Math.Max(1, parse.GetValue(reps));
            var nValues = ParseList(parse.GetValue(ns)!);
            if (pt < 2 || gt < 1) throw new UsageException("--prompt-tokens must be >= 2 and --gen-tokens >= 1");
            var baseLoad = new ModelLoadOptions
            {
                Model = new ModelSpec(path.FullName), BatchSize = 512, KvPerSequence = parse.GetValue(perSequence),
                Runtime = new() { Threads = parse.GetValue(threads), FastAttention = parse.GetValue(fast),
                    Context = parse.GetValue(perSequence) ? (nValues.Max() + 1) * (pt + gt + 256) : pt + nValues.Max() * gt + 256 },
            };
            var prompt = RandomPrompt(baseLoad, pt);
            Console.WriteLine($"model {path.Name}, threads {baseLoad.Runtime.EffectiveThreads}, " +
                              $"{(!baseLoad.Runtime.FastAttention ? "exact attention (F32 KV, no flash attention)" : "llama.cpp's attention defaults")}, " +
                              $"prompt {pt} tokens, {gt} new tokens per sample, best of {r}");
            Console.WriteLine($"{"N",4} {"mode",-22} {"seconds",8} {"gen tok/s",10} {"prompt s",9} {"decode s",9} {"choose s",9} {"gen-only tok/s",15}");
            foreach (int n in nValues)
            {
                var (batched, t) = Best(r, baseLoad, prompt, n, parallel: n, gt);
                double genOnly = (t.Decode + t.Choose).TotalSeconds;
                if (parse.GetValue(record))
                    BenchRecord.Write(Engine.Placement.WorkKind.Sample, path.FullName, n * gt / batched, $"best-of-{n}, {gt} new tokens");
                Console.WriteLine($"{n,4} {"batched (parallel=" + n + ")",-22} {batched,8:F3} {n * gt / batched,10:F1} " +
                                  $"{t.Prompt.TotalSeconds,9:F3} {t.Decode.TotalSeconds,9:F3} {t.Choose.TotalSeconds,9:F3} {n * gt / genOnly,15:F1}");
                if (parse.GetValue(single)) continue;
                var (one, _) = Best(r, baseLoad, prompt, n, parallel: 1, gt);
                Console.WriteLine($"{n,4} {"one at a time",-22} {one,8:F3} {n * gt / one,10:F1}");
                Console.WriteLine($"{n,4} {"speed-up",-22} {one / batched,8:F2}x");
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static List<int> ParseList(string text)
    {
        var values = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, out int v) || v < 1 || v > 255) throw new UsageException($"--n: '{part}' is not a number in 1..255");
            values.Add(v);
        }
        return values.Count > 0 ? values : throw new UsageException("--n: give at least one value, e.g. 8,16");
    }

    /// <summary>The time of the fastest of <paramref name="reps"/> runs, model loading excluded, and its timings by phase.</summary>
    private static (double Seconds, DecodeTimings Timings) Best(int reps, ModelLoadOptions load, int[] prompt, int n, int parallel, int genTokens)
    {
        using var model = LoadedModel.Load(load with { Sequences = BestOfNSampler.SequencesFor(parallel) });
        var options = new BestOfNOptions
        {
            Sampling = new SamplingOptions { MaxTokens = genTokens, Seed = 1 }, N = n, IgnoreEndOfGeneration = true,
        };
        var sampler = new BestOfNSampler(model, options);
        double best = double.MaxValue;
        DecodeTimings timings = new();
        for (int i = 0; i < reps; i++)
        {
            long tokens = 0;
            var clock = Stopwatch.StartNew();
            sampler.Run([new SampleRequest("bench", prompt)], done => tokens = done.Samples.Sum(s => s.Tokens), null, CancellationToken.None);
            if (clock.Elapsed.TotalSeconds < best) (best, timings) = (clock.Elapsed.TotalSeconds, sampler.Timings);
            if (tokens != (long)n * genTokens) throw new InvalidOperationException($"bench generated {tokens} tokens, expected {n * genTokens}");
        }
        return (best, timings);
    }

    /// <summary>BOS then deterministic random ordinary tokens.</summary>
    private static int[] RandomPrompt(ModelLoadOptions load, int length)
    {
        using var probe = LoadedModel.Load(load with { Runtime = load.Runtime with { Context = 64 } });
        var vocab = probe.Vocab;
        var ordinary = Enumerable.Range(0, vocab.Count).Where(t => !vocab.IsControl(t) && !vocab.IsEog(t)).ToArray();
        var rng = new Random(1234);
        var prompt = new int[length];
        prompt[0] = vocab.Bos;
        for (int i = 1; i < length; i++) prompt[i] = ordinary[rng.Next(ordinary.Length)];
        return prompt;
    }
}
