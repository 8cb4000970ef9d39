using System.CommandLine;
using System.Diagnostics;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Settings;

namespace Merlinite.Cli.Commands;

/// <summary>`merlinite bench eval`: multiple choice with each question's context shared by its choices (what
/// `merlinite eval` does) against each choice scored with its own copy of the context, on an MMLU-shaped workload.</summary>
public static class BenchEvalCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "the GGUF model", Required = true, HelpName = "M.gguf" };
        var questions = new Option<int>("--questions") { Description = "questions", DefaultValueFactory = _ => 32 };
        var choices = new Option<int>("--choices") { Description = "choices per question", DefaultValueFactory = _ => 4 };
        var contextTokens = new Option<int>("--context-tokens") { Description = "tokens of each question's context (5-shot MMLU: ~400-700)", DefaultValueFactory = _ => 512 };
        var sharedPrefix = new Option<int>("--shared-prefix") { Description = "tokens at the start of every context that all questions share (the k-shot examples of one MMLU subject: ~80 %)", DefaultValueFactory = _ => 400 };
        var choiceTokens = new Option<int>("--choice-tokens") { Description = "tokens per choice (MMLU's \" A\": 1)", DefaultValueFactory = _ => 1 };
        var parallel = new Option<int>("--parallel", "-np") { Description = "sequences scored together", DefaultValueFactory = _ => new EvalTaskSettings().Parallel };
        var reps = new Option<int>("--reps") { Description = "interleaved repetitions; the median of each mode is reported", DefaultValueFactory = _ => 3 };
        var threads = Flags.Threads();
        var cmd = new Command("eval", "Multiple-choice scoring with the context shared by a question's choices vs scored once per choice, on random token ids " +
                                      "shaped like 5-shot MMLU.")
        {
            model, questions, choices, contextTokens, sharedPrefix, choiceTokens, parallel, reps, threads,
        };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(model)!;
            if (!path.Exists) throw new UsageException($"model file not found: {path.FullName}");
            int q = parse.GetValue(questions), c = parse.GetValue(choices), ct = parse.GetValue(contextTokens), kt = parse.GetValue(choiceTokens);
            int sp = parse.GetValue(sharedPrefix);
            if (q < 1 || c < 2 || ct < 2 || kt < 1 || sp < 0 || sp >= ct) throw new UsageException("--questions >= 1, --choices >= 2, --context-tokens >= 2, --choice-tokens >= 1 and 0 <= --shared-prefix < --context-tokens");
            var spec = new ModelSpec(path.FullName);
            var runtime = new RuntimeSettings { Threads = parse.GetValue(threads) };
            var items = BenchCommand.RandomItems(spec.Path, c, q, ct, kt);
            // The questions' contexts begin alike (a question's choices share one context array).
            foreach (var item in items.Skip(c)) items[0].PromptTokens.AsSpan(0, sp).CopyTo(item.PromptTokens);
            // Loaded as `merlinite eval` loads a model for multiple choice.
            var load = new EvalTaskSettings { Parallel = parse.GetValue(parallel), Runtime = runtime }.Scoring.LoadOptions(spec, items);
            using var m = LoadedModel.Load(load);
            Console.WriteLine($"model {path.Name}: {m.Model.ParameterCount / 1e6:F1}M params, threads {runtime.EffectiveThreads}, {load.Sequences} sequences");
            Console.WriteLine($"workload: {q} questions x {c} choices, {ct} context + {kt} choice tokens ({items.Count} scored items)");
            Console.WriteLine($"  of which the first {sp} are the same in every question");
            var modes = new (string Name, ScorerOptions Options, List<double> Seconds)[]
            {
                ("shared prefix + shared context (eval)", new ScorerOptions { SharePrefixes = true }, []),
                ("context shared by the choices", new ScorerOptions(), []),
                ("context scored once per choice", new ScorerOptions { SharePrompts = false }, []),
            };
            for (int r = 0; r < Math.Max(1, parse.GetValue(reps)); r++)
                foreach (var mode in modes) mode.Seconds.Add(Time(m, items, mode.Options));
            double baseline = Median(modes[^1].Seconds);
            Console.WriteLine($"{"mode",-40} {"seconds",8} {"questions/s",12} {"vs once per choice",19}");
            foreach (var mode in modes)
                Console.WriteLine($"{mode.Name,-40} {Median(mode.Seconds),8:F3} {q / Median(mode.Seconds),12:F1} {baseline / Median(mode.Seconds),18:F2}x");
            Console.WriteLine($"(median of {modes[0].Seconds.Count} interleaved repetitions)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static double Time(LoadedModel m, List<ScoreItem> items, ScorerOptions options)
    {
        var clock = Stopwatch.StartNew();
        var results = new Scorer(m, options).Score(items);
        if (results.FirstOrDefault(r => !r.Ok) is { } failed) throw new InvalidOperationException($"bench item {failed.Id} failed: {failed.Error}");
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
}
