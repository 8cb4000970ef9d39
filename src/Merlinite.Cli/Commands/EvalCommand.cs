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
        var parallel = Flags.Create("parallel", "sequences run together (scored options or generated answers)", D.Parallel, "N");
        var judge = Flags.Optional<FileInfo?>("judge", "mt_bench: the judge GGUF that rates each answer 1-10", "JUDGE.gguf");
        var judgePrompt = Flags.Optional<FileInfo?>("judge_prompt", "mt_bench: judge prompt template with slots {question} {answer} {reference} {conversation} {category} {turn}", "PROMPT.txt");
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
            maxTokens, temp, seed, parallel,
            judge, judgePrompt, judgeTemplate, judgeMaxTokens, restart,
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
                Runtime = runtime.Read(parse), JudgePrompt = parse.GetValue(judgePrompt)?.FullName,
                JudgeTemplate = ChatTemplates.Parse(parse.GetValue(judgeTemplate)!), JudgeMaxTokens = parse.GetValue(judgeMaxTokens),
            };
            var dataFile = parse.GetValue(data)!;
            var judgeFile = parse.GetValue(judge);
            var job = new EvalJob(parse.GetValue(name) ?? Path.GetFileNameWithoutExtension(dataFile.Name),
                runtime.Model(parse, parse.GetValue(model)!, parse.GetValue(lora)), dataFile.FullName, parse.GetValue(output)!.FullName, settings,
                judgeFile is null ? null : runtime.Model(parse, judgeFile));
            job.Validate();
            var (summary, upToDate) = ProgressDisplay.Run($"eval {k.Name()} {Path.GetFileName(job.Model.Path)}", sink =>
                job.Run(Restart.Policy(parse, restart), (f, d) => sink.Report(f, d), ct));
            foreach (var line in summary.Table()) Console.WriteLine(line);
            Console.Error.WriteLine(upToDate ? Restart.UpToDate(job.Out) : $"wrote {job.Out} and {job.SummaryPath}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
