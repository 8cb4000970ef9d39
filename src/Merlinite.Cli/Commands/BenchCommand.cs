using System.CommandLine;
using System.Diagnostics;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Models;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Settings;

namespace Merlinite.Cli.Commands;

/// <summary>Speed measurements whose figures go into docs/benchmarks.md (never asserted by tests).</summary>
public static class BenchCommand
{
    public static Command Create() => new("bench", "Benchmarks (figures for docs/benchmarks.md).") { CreateScore(), BenchSampleCommand.Create(), BenchWorkloadCommand.Create(), BenchEvalCommand.Create() };

    private static Command CreateScore()
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "the GGUF model to score with", Required = true, HelpName = "M.gguf" };
        var n = new Option<int>("--n") { Description = "responses per prompt", DefaultValueFactory = _ => 8 };
        var prompts = new Option<int>("--prompts") { Description = "distinct prompts", DefaultValueFactory = _ => 4 };
        var promptTokens = new Option<int>("--prompt-tokens") { Description = "tokens per prompt", DefaultValueFactory = _ => 128 };
        var responseTokens = new Option<int>("--response-tokens") { Description = "tokens per response", DefaultValueFactory = _ => 64 };
        var threads = Flags.Threads();
        var fast = new Option<bool>("--fast-attn") { Description = "F16 KV cache and flash attention (llama.cpp's defaults) instead of the exact default" };
        var reps = new Option<int>("--reps") { Description = "repetitions; the best time of each mode is reported", DefaultValueFactory = _ => 3 };
        var single = new Option<bool>("--no-single") { Description = "skip the one-pair-at-a-time baseline" };
        var record = BenchRecord.Option();
        var cmd = new Command("score", "Shared-prompt batched scoring vs one pair at a time, log-softmax included, on random token ids.")
        {
            model, n, prompts, promptTokens, responseTokens, threads, reps, fast, single, Flags.Reproducible(), record,
        };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(model)!;
            if (!path.Exists) throw new UsageException($"model file not found: {path.FullName}");
            int N = parse.GetValue(n), P = parse.GetValue(prompts), pt = parse.GetValue(promptTokens), rt = parse.GetValue(responseTokens);
            if (N < 1 || P < 1 || pt < 1 || rt < 2) throw new UsageException("--n, --prompts, --prompt-tokens must be >= 1 and --response-tokens >= 2");
            var runtime = new RuntimeSettings { Threads = parse.GetValue(threads), Context = 0, FastAttention = parse.GetValue(fast) };
            var probeOptions = new ModelLoadOptions { Model = new ModelSpec(path.FullName), Runtime = runtime with { Context = 1024 } };
            using (var probe = LoadedModel.Load(probeOptions))
                Console.WriteLine($"model {path.Name}: {probe.Model.Description}, {probe.Model.ParameterCount / 1e6:F1}M params, vocab {probe.Vocab.Count}, threads {runtime.EffectiveThreads}");

            var items = RandomItems(path.FullName, N, P, pt, rt);
            // Loaded as `merlinite score` loads a model (Context 0: room for every item in each of the N sequences).
            var options = new ScoringSettings { Parallel = N, Batch = 2048, Runtime = runtime }.LoadOptions(new ModelSpec(path.FullName), items);
            int scored = items.Sum(i => i.ResponseTokens.Length);
            int batchedEvals = P * pt + items.Sum(i => i.ResponseTokens.Length - 1);
            int naiveEvals = items.Sum(i => i.PromptTokens.Length + i.ResponseTokens.Length - 1);

            double batched = Best(parse.GetValue(reps), options, items);
            double naive = parse.GetValue(single) ? double.NaN : Best(parse.GetValue(reps), options with { Sequences = 1 }, items);
            Console.WriteLine($"workload: {P} prompts x {N} responses, {pt} prompt + {rt} response tokens each ({scored} scored tokens)");
            Console.WriteLine($"{"mode",-34} {"seconds",8} {"scored tok/s",13} {"evaluated tok/s",16}");
            Console.WriteLine($"{"shared-prompt batched (n_seq=" + N + ")",-34} {batched,8:F3} {scored / batched,13:F0} {batchedEvals / batched,16:F0}");
            if (parse.GetValue(record))
                BenchRecord.Write(Engine.Placement.WorkKind.Score, path.FullName, batchedEvals / batched, $"{P} prompts x {N}, evaluated tokens");
            if (double.IsNaN(naive)) return ExitCodes.Ok;
            Console.WriteLine($"{"one pair at a time (n_seq=1)",-34} {naive,8:F3} {scored / naive,13:F0} {naiveEvals / naive,16:F0}");
            Console.WriteLine($"speed-up (scored tok/s): {naive / batched:F2}x");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static double Best(int reps, ModelLoadOptions options, IReadOnlyList<ScoreItem> items)
    {
        using var model = LoadedModel.Load(options);
        var scorer = new Scorer(model, new ScorerOptions());
        double best = double.MaxValue;
        for (int r = 0; r < Math.Max(1, reps); r++)
        {
            var clock = Stopwatch.StartNew();
            var results = options.Sequences == 1 ? items.SelectMany(item => scorer.Score([item])).ToList() : scorer.Score(items);
            if (results.FirstOrDefault(r => !r.Ok) is { } failed) throw new InvalidOperationException($"bench item {failed.Id} failed: {failed.Error}");
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary><paramref name="prompts"/> prompts of random ids (BOS first) with <paramref name="n"/> random
    /// responses each, from the ordinary part of the vocabulary (no control tokens), the same on every run.</summary>
    internal static List<ScoreItem> RandomItems(string modelPath, int n, int prompts, int promptTokens, int responseTokens)
    {
        using var probe = LoadedModel.LoadVocabulary(modelPath);
        var vocab = probe.Vocab;
        var ordinary = Enumerable.Range(0, vocab.Count).Where(t => !vocab.IsControl(t) && !vocab.IsEog(t)).ToArray();
        var rng = new Random(1234);
        int Pick() => ordinary[rng.Next(ordinary.Length)];
        var items = new List<ScoreItem>();
        for (int p = 0; p < prompts; p++)
        {
            var prompt = new int[promptTokens];
            prompt[0] = vocab.Bos;
            for (int i = 1; i < promptTokens; i++) prompt[i] = Pick();
            for (int k = 0; k < n; k++)
                items.Add(new ScoreItem($"{p}/{k}", prompt, Enumerable.Range(0, responseTokens).Select(_ => Pick()).ToArray()));
        }
        return items;
    }
}
