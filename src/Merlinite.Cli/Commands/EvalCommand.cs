using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Evaluation;
using Merlinite.Engine.Jobs;

namespace Merlinite.Cli.Commands;

public static class EvalCommand
{
    private static readonly EvalTaskSettings D = new();

    public static Command Create()
    {
        var kind = new Argument<string>("KIND") { Description = "the data's layout and how it is scored: " + string.Join(", ", EvalKinds.All.Select(k => k.Name)) };
        kind.AcceptOnlyFromAmong(EvalKinds.All.Select(k => k.Name).ToArray());
        var model = Flags.Required<FileInfo>("model", "the GGUF model to evaluate", "M.gguf");
        var lora = Flags.Optional<string[]>("lora", "LoRA adapter applied to the model, ADAPTER.gguf[:scale] (repeatable)", "ADAPTER[:scale]");
        var data = Flags.Required<FileInfo>("data", "the benchmark rows, JSONL in the public data set's layout (README: Evaluation)", "test.jsonl");
        var output = Flags.Required<FileInfo>("out", "per-item results JSONL; OUT.summary.json gets the scores; a rerun resumes it", "results/task.jsonl");
        var name = Flags.Optional<string?>("name", "the task's name in the summary (default: the data file's name)", "NAME");
        var shots = Flags.Create("shots", "worked examples before each question (lm-eval's num_fewshot)", D.Shots, "K");
        var shotsFile = Flags.Optional<FileInfo?>("shots_file",
            "where the examples come from (a dev or train split; default: the data file, never the question itself)",
            "dev.jsonl");
        var sampler = Flags.Create("fewshot_sampler",
            "how examples are picked: first_n (the first K in file order, the default) or lm_eval (lm-eval's own: " +
            "first_n for mmlu, random.Random(1234).sample for the others)",
            D.ShotSampler.Name(), "NAME");
        sampler.AcceptOnlyFromAmong(ShotSamplers.All.Select(s => s.Name).ToArray());
        var limit = Flags.Optional<int?>("limit", "only the first N rows of the data", "N");
        var template = ScoringFlags.Template(D.Template, "raw: plain text as lm-eval frames it (the default); merlinite or model: through a chat template, examples as turns, the answer as the reply");
        var system = Flags.Optional<string?>("system", "system prompt with a chat template (default: the template's; \"\" for none)");
        var metric = Flags.Optional<string?>("metric", "headline metric (default: acc_norm for arc and hellaswag, strict for gsm8k, score for mt_bench, else acc)", "NAME");
        var maxTokens = Flags.Optional<int?>("max_tokens", "new tokens per generated answer (default: 256 for gsm8k, 1024 for mt_bench)", "N");
        var temp = Flags.Optional<float?>("temperature", "mt_bench: one temperature for all categories (default: FastChat's per category)", "T");
        var seed = Flags.Create("seed", "seed of sampled answers (mt_bench writing and roleplay)", D.Seed, "S");
        var runs = Flags.Create("runs", "run the benchmark K times, run k with --seed + k - 1 (its output beside OUT: " +
            "OUT.run-k.jsonl), and report the runs' mean, min and max (OUT.runs.json); for mt_bench's sampled answers",
            D.Runs, "K");
        var parallel = Flags.Create("parallel", "sequences run together (scored options or generated answers)", D.Parallel, "N");
        var judge = Flags.Optional<FileInfo?>("judge", "mt_bench: the judge GGUF that rates each answer 1-10", "JUDGE.gguf");
        var judgePrompt = Flags.Optional<FileInfo?>("judge_prompt", "mt_bench: judge prompt template with slots {question} {answer} {reference} {conversation} {category} {turn}, or FastChat's {question_N} {answer_N} {ref_answer_N}", "PROMPT.txt");
        var judgePrompts = Flags.Optional<FileInfo?>("judge_prompts", "mt_bench: FastChat's judge_prompts.jsonl, picked as its gen_judgment does (single-v1, single-math-v1 for math/reasoning/coding, their -multi-turn forms for turn 2)", "judge_prompts.jsonl");
        var references = Flags.Optional<FileInfo?>("references", "mt_bench: FastChat's reference answers (reference_answer/gpt-4.jsonl) for math, reasoning and coding (default: the questions' own \"reference\")", "gpt-4.jsonl");
        var judgeTemplate = Flags.Create("judge_template", "mt_bench: how the judge reads its prompt: model (its own chat template), merlinite, raw", D.JudgeTemplate.Name());
        judgeTemplate.AcceptOnlyFromAmong("merlinite", "model", "raw");
        var judgeMaxTokens = Flags.Create("judge_max_tokens", "mt_bench: most tokens of a judgment", D.JudgeMaxTokens, "N");
        var restart = Restart.Create();
        var runtime = new RuntimeFlags();

        var cmd = new Command("eval",
            "Evaluate a GGUF model on a benchmark file, offline: multiple choice by log-likelihood (lm-evaluation-harness's " +
            "conventions: acc and acc_norm), GSM8K by greedy generation (strict and flexible match), MT-Bench by a local judge model. " +
            "Writes one line per item and OUT.summary.json; a killed run continues where it stopped.")
        {
            kind, model, lora, data, output, name, shots, shotsFile, sampler, limit, template, system, metric,
            maxTokens, temp, seed, runs, parallel,
            judge, judgePrompt, judgePrompts, references, judgeTemplate, judgeMaxTokens, restart,
        };
        runtime.AddTo(cmd);
        cmd.SetAction((parse, ct) =>
        {
            var k = EvalKinds.Parse(parse.GetValue(kind)!);
            var settings = new EvalTaskSettings
            {
                Kind = k, Shots = parse.GetValue(shots), ShotsFile = parse.GetValue(shotsFile)?.FullName,
                ShotSampler = ShotSamplers.Parse(parse.GetValue(sampler)!), Limit = parse.GetValue(limit),
                Template = ChatTemplates.Parse(parse.GetValue(template)!), System = parse.GetValue(system), Metric = parse.GetValue(metric),
                MaxTokens = parse.GetValue(maxTokens), Temperature = parse.GetValue(temp), Seed = parse.GetValue(seed), Parallel = parse.GetValue(parallel),
                Runs = parse.GetValue(runs),
                Runtime = runtime.Read(parse), JudgePrompt = parse.GetValue(judgePrompt)?.FullName,
                JudgePrompts = parse.GetValue(judgePrompts)?.FullName, References = parse.GetValue(references)?.FullName,
                JudgeTemplate = ChatTemplates.Parse(parse.GetValue(judgeTemplate)!), JudgeMaxTokens = parse.GetValue(judgeMaxTokens),
            };
            var dataFile = parse.GetValue(data)!;
            var judgeFile = parse.GetValue(judge);
            var job = new EvalJob(parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(dataFile.Name),
                runtime.Model(parse, parse.GetValue(model)!, parse.GetValue(lora)), dataFile.FullName, parse.GetValue(output)!.FullName, settings,
                judgeFile is null ? null : runtime.Model(parse, judgeFile));
            job.Validate();
            var summaries = new List<Engine.Evaluation.EvalSummary>();
            for (int run = 1; run <= settings.Runs; run++)
            {
                var runJob = job with
                {
                    Out = Engine.Evaluation.EvalRuns.RunOutput(job.Out, run),
                    Settings = settings with { Seed = unchecked(settings.Seed + (uint)(run - 1)) },
                };
                string title = $"eval {k.Name()} {Path.GetFileName(job.Model.Path)}" +
                               (settings.Runs > 1 ? $" · run {run} of {settings.Runs}" : "");
                var (summary, upToDate) = ProgressDisplay.Run(title, sink =>
                    runJob.Run(Restart.Rule(parse, restart), (f, d) => sink.Report(f, d), ct));
                if (settings.Runs == 1) foreach (var line in summary.Table()) Console.WriteLine(line);
                Console.Error.WriteLine(upToDate ? Restart.UpToDate(runJob.Out) : $"wrote {runJob.Out} and {runJob.SummaryPath}");
                summaries.Add(summary);
            }
            if (settings.Runs > 1)
            {
                var all = new Engine.Evaluation.EvalRuns(summaries);
                foreach (var line in all.Table()) Console.WriteLine(line);
                Engine.Outputs.AtomicFile.WriteAllText(Engine.Evaluation.EvalRuns.SummaryPath(job.Out), all.ToJson());
                Console.Error.WriteLine($"wrote {Engine.Evaluation.EvalRuns.SummaryPath(job.Out)}");
            }
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
