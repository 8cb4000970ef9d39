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
        var choiceTokens = new Option<int>("--choice-tokens") { Description = "tokens per choice (MMLU's \" A\": 1)", DefaultValueFactory = _ => 1 };
        var parallel = new Option<int>("--parallel", "-np") { Description = "sequences scored together", DefaultValueFactory = _ => new EvalTaskSettings().Parallel };
        var reps = new Option<int>("--reps") { Description = "interleaved repetitions; the median of each mode is reported", DefaultValueFactory = _ => 3 };
        var threads = Flags.Threads();
        var cmd = new Command("eval", "Multiple-choice scoring with the context shared by a question's choices vs scored once per choice, on random token ids " +
                                      "shaped like 5-shot MMLU. Example: merlinite bench eval -m gguf/small.gguf --questions 32 --context-tokens 512")
        {
            model, questions, choices, contextTokens, choiceTokens, parallel, reps, threads,
        };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(model)!;
            if (!path.Exists) throw new UsageException($"model file not found: {path.FullName}");
            int q = parse.GetValue(questions), c = parse.GetValue(choices), ct = parse.GetValue(contextTokens), kt = parse.GetValue(choiceTokens);
            if (q < 1 || c < 2 || ct < 2 || kt < 1) throw new UsageException("--questions >= 1, --choices >= 2, --context-tokens >= 2 and --choice-tokens >= 1");
            var spec = new ModelSpec(path.FullName);
            var runtime = new RuntimeSettings { Threads = parse.GetValue(threads) };
            var items = BenchCommand.RandomItems(spec.Path, c, q, ct, kt);
            // Loaded as `merlinite eval` loads a model for multiple choice.
            var load = new EvalTaskSettings { Parallel = parse.GetValue(parallel), Runtime = runtime }.Scoring.LoadOptions(spec, items);
            using var m = LoadedModel.Load(load);
            Console.WriteLine($"model {path.Name}: {m.Model.ParameterCount / 1e6:F1}M params, threads {runtime.EffectiveThreads}, {load.Sequences} sequences");
            Console.WriteLine($"workload: {q} questions x {c} choices, {ct} context + {kt} choice tokens ({items.Count} scored items)");
            var shared = new List<double>();
            var separate = new List<double>();
            for (int r = 0; r < Math.Max(1, parse.GetValue(reps)); r++)
            {
                shared.Add(Time(m, items, share: true));
                separate.Add(Time(m, items, share: false));
            }
            double s = Median(shared), x = Median(separate);
            long sharedEvals = (long)q * ct + items.Sum(i => (long)i.ResponseTokens.Length - 1);
            long separateEvals = items.Sum(i => (long)i.PromptTokens.Length + i.ResponseTokens.Length - 1);
            Console.WriteLine($"{"mode",-36} {"seconds",8} {"questions/s",12} {"evaluated tok/s",16}");
            Console.WriteLine($"{"context shared by the choices",-36} {s,8:F3} {q / s,12:F1} {sharedEvals / s,16:F0}");
            Console.WriteLine($"{"context scored once per choice",-36} {x,8:F3} {q / x,12:F1} {separateEvals / x,16:F0}");
            Console.WriteLine($"speed-up (questions/s): {x / s:F2}x (median of {shared.Count} interleaved repetitions)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static double Time(LoadedModel m, List<ScoreItem> items, bool share)
    {
        var clock = Stopwatch.StartNew();
        var results = new Scorer(m, new ScorerOptions { SharePrompts = share }).Score(items);
        if (results.FirstOrDefault(r => !r.Ok) is { } failed) throw new InvalidOperationException($"bench item {failed.Id} failed: {failed.Error}");
        return clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
}
