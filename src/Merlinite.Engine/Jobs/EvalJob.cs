using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Evaluation;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Sampling;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Jobs;

/// <summary>Settings of one evaluation task, for `merlinite eval` and a recipe's eval.tasks alike.</summary>
public sealed record EvalTaskSettings
{
    public EvalKind Kind { get; init; } = EvalKind.MultipleChoice;
    /// <summary>Worked examples in the data's layout (a dev or train split); null: the data file itself (never the
    /// question being asked).</summary>
    public string? ShotsFile { get; init; }
    /// <summary>How examples are picked: first_n (file order) or lm_eval (each task's own sampler, seed
    /// 1234).</summary>
    public ShotSampler ShotSampler { get; init; } = ShotSampler.FirstN;
    /// <summary>Worked examples before each question (lm-eval's num_fewshot).</summary>
    public int Shots { get; init; }
    /// <summary>Only the first N items of the data file; null: all.</summary>
    public int? Limit { get; init; }
    /// <summary>raw (plain text, lm-eval's default), or a chat template: examples become turns, the answer the reply.</summary>
    public ChatTemplate Template { get; init; } = ChatTemplate.Raw;
    /// <summary>System prompt with a chat template; null: the template's default.</summary>
    public string? System { get; init; }
    /// <summary>The headline metric; null: the kind's (<see cref="EvalKinds.DefaultMetric"/>).</summary>
    public string? Metric { get; init; }
    /// <summary>New tokens per generated answer; null: the kind's (256 for GSM8K, 1024 for MT-Bench).</summary>
    public int? MaxTokens { get; init; }
    /// <summary>MT-Bench: one temperature for every category; null: FastChat's per-category temperatures.</summary>
    public float? Temperature { get; init; }
    public uint Seed { get; init; } = 42;
    /// <summary>Times the benchmark is run, run k with seed + k - 1 into its own output (<see cref="EvalRuns"/>); the
    /// runs' mean, lowest and highest are reported, as the Merlinite card reports MT-Bench over 5 runs.</summary>
    public int Runs { get; init; } = 1;
    /// <summary>Sequences run together (scored options or generated answers).</summary>
    public int Parallel { get; init; } = 16;
    public RuntimeSettings Runtime { get; init; } = new();
    /// <summary>MT-Bench: a judge prompt template file (<see cref="JudgePrompt"/>); null: the project's wording.</summary>
    public string? JudgePrompt { get; init; }
    /// <summary>MT-Bench: FastChat's judge_prompts.jsonl, used as its gen_judgment picks them
    /// (<see cref="FastChatJudgePrompts"/>); not with <see cref="JudgePrompt"/>.</summary>
    public string? JudgePrompts { get; init; }
    /// <summary>MT-Bench: FastChat's reference answers (reference_answer/gpt-4.jsonl) for the categories that need one;
    /// null: the questions' own "reference".</summary>
    public string? References { get; init; }
    /// <summary>MT-Bench: how the judge prompt is rendered for the judge model (its own template by default).</summary>
    public ChatTemplate JudgeTemplate { get; init; } = ChatTemplate.Model;
    public int JudgeMaxTokens { get; init; } = 256;

    public string HeadlineMetric => Metric ?? Kind.DefaultMetric();
    public int AnswerTokens => MaxTokens ?? Kind.DefaultMaxTokens();

    /// <summary>Scoring for multiple choice: only the choices' own tokens, no end-of-text after them (lm-eval's).</summary>
    public ScoringSettings Scoring => new() { Eos = false, Parallel = Parallel, Runtime = Runtime };

    /// <summary>Generation for GSM8K and MT-Bench: one answer per prompt, greedy unless MT-Bench's temperatures say otherwise.</summary>
    public SampleSettings Generation(int maxTokens) => new()
    {
        N = 1, Parallel = Parallel, Template = Template, System = System, Runtime = Runtime,
        Sampling = new SamplingOptions { Temperature = 0, TopK = 0, TopP = 1, MinP = 0, MaxTokens = maxTokens, Seed = Seed },
    };

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return Require.Between("shots", Shots, 0, 100);
        yield return Limit is int l ? Require.AtLeast("limit", l, 1) : null;
        yield return Require.Between("parallel", Parallel, 1, 255);
        yield return Require.Between("runs", Runs, 1, 100);
        yield return MaxTokens is int m ? Require.AtLeast("max_tokens", m, 1) : null;
        yield return Require.AtLeast("judge_max_tokens", JudgeMaxTokens, 1);
        yield return Temperature is float t ? Require.AtLeast("temperature", t, 0) : null;
        if (Metric is not null && !Kind.Metrics().Contains(Metric))
            yield return new SettingProblem("metric", $"'{Metric}' is not a metric of {Kind.Name()} ({string.Join(", ", Kind.Metrics())})");
        if (Kind == EvalKind.MtBench && Shots > 0) yield return new SettingProblem("shots", "MT-Bench is zero-shot (got {shots} = " + Shots + ")");
        if (JudgePrompt is not null && JudgePrompts is not null)
            yield return new SettingProblem("judge_prompts", "give either {judge_prompt} (one template) or {judge_prompts} (FastChat's file), not both");
        if (Kind == EvalKind.MtBench && Template == ChatTemplate.Raw) yield return new SettingProblem("template", "MT-Bench is a chat: use template merlinite or model");
        foreach (var p in Runtime.Problems()) yield return p;
    }
}

/// <summary>
/// Evaluates a model on one benchmark file into a resumable per-item JSONL (OUT) and a summary (OUT.summary.json).
/// MT-Bench also keeps the policy's answers (OUT.answers.jsonl) apart from the judgments, so changing the judge
/// re-judges without re-answering.
/// </summary>
public sealed record EvalJob(string Task, ModelSpec Model, string Data, string Out, EvalTaskSettings Settings,
    ModelSpec? Judge = null) : IJob
{
    public const string Kind = "eval";

    public OutputFile Output => new(Out);
    public IReadOnlyList<string> Inputs => [Data, Model.Path, .. Model.Loras.Select(l => l.Path)];

    public void Make(Action<double, string?> report, CancellationToken ct) =>
        Run(ReuseRule.ResumeOrRecompute, (f, d) => report(f, $"{Task}: {d}"), ct);
    public string SummaryPath => Sibling(".summary.json");
    public OutputFile Answers => new(Sibling(".answers.jsonl"));

    private string Sibling(string suffix) => EvalFiles.Beside(Out, suffix);

    public void Validate()
    {
        var problems = Settings.Problems().Concat(JobSupport.ModelProblems("model", Model))
            .Append(JobSupport.InputProblem("data", Data)).Append(JobSupport.InputProblem("shots_file", Settings.ShotsFile))
            .Append(JobSupport.InputProblem("judge_prompt", Settings.JudgePrompt))
            .Append(JobSupport.InputProblem("judge_prompts", Settings.JudgePrompts))
            .Append(JobSupport.InputProblem("references", Settings.References));
        if (Settings.Kind == EvalKind.MtBench)
            problems = Judge is null ? problems.Append(new SettingProblem("judge", "MT-Bench needs a judge model (a GGUF that rates answers)"))
                : problems.Concat(JobSupport.ModelProblems("judge", Judge));
        SettingException.ThrowIfAny(problems);
    }

    /// <summary>What the policy's answers depend on.</summary>
    public Fingerprint AnswersFingerprint()
    {
        var s = Settings;
        var f = new Fingerprint(Kind).Add("kind", s.Kind.Name()).AddModel("model", Model).AddFile("data", Data)
            .AddFile("shots_file", s.ShotsFile).Add("shots", s.Shots)
            .Add("fewshot_sampler", s.ShotSampler.Name())
            .Add("limit", s.Limit?.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Add("template", s.Template.Name()).Add("system", s.Template.SystemPrompt(s.System)).Add("parallel", s.Parallel).AddRuntime(s.Runtime);
        if (!s.Kind.IsMultipleChoice()) f.Add("max_tokens", s.AnswerTokens).Add("seed", s.Seed).Add("temperature", s.Temperature);
        return f;
    }

    public Fingerprint Fingerprint()
    {
        var f = AnswersFingerprint();
        if (Settings.Kind == EvalKind.MtBench)
            f.AddModel("judge", Judge!).AddFile("judge_prompt", Settings.JudgePrompt)
                .AddFile("judge_prompts", Settings.JudgePrompts).AddFile("references", Settings.References)
                .Add("judge_template", Settings.JudgeTemplate.Name())
                .Add("judge_max_tokens", Settings.JudgeMaxTokens);
        return f;
    }

    /// <summary>Evaluates (or keeps a finished output made the same way) and writes the summary; <c>UpToDate</c> says
    /// nothing had to be computed.</summary>
    public (EvalSummary Summary, bool UpToDate) Run(ReuseRule reuse, Action<double, string?>? progress, CancellationToken ct)
    {
        Validate();
        var output = Output;
        output.EnsureWritable();
        JobSupport.CheckFiles("model", Model);
        if (Judge is not null) JobSupport.CheckFiles("judge", Judge);
        // Read before any work: a prompt with an unknown slot is refused at once.
        IJudgePrompt judgePrompt = Settings.JudgePrompts is { } fastChat ? FastChatJudgePrompts.Load(fastChat)
            : Settings.JudgePrompt is { } jp ? JudgePrompt.Load(jp) : Evaluation.JudgePrompt.Default;
        var s = Settings;
        string shotsFile = s.ShotsFile ?? Data;
        bool upToDate = output.Prepare(Fingerprint(), reuse);
        if (!upToDate)
        {
            output.Guard(() =>
            {
                switch (s.Kind)
                {
                    case EvalKind.Gsm8k: RunMath(shotsFile, output, progress, ct); break;
                    case EvalKind.MtBench: RunChat(judgePrompt, output, progress, ct); break;
                    default: RunChoices(shotsFile, output, progress, ct); break;
                }
                return 0;
            });
        }
        var summary = Summary();
        AtomicFile.WriteAllText(SummaryPath, summary.ToJson());
        return (summary, upToDate);
    }

    /// <summary>The summary of a finished output (from its per-item lines).</summary>
    public EvalSummary Summary() => EvalSummary.From(Task, Settings.Kind, Settings.HeadlineMetric, EvalResults.Read(Settings.Kind, Out),
        Settings.Kind == EvalKind.MtBench ? $"rated by the local judge {Path.GetFileName(Judge!.Path)}, not by GPT-4: comparable across rounds and models judged by the same judge, not with published MT-Bench scores" : null);

    private IReadOnlyList<T> Take<T>(IReadOnlyList<T> items) => Settings.Limit is int n && n < items.Count ? items.Take(n).ToList() : items;

    /// <summary>The shots come from the data itself when no other file is named (or the data file is).</summary>
    private ShotPlan Plan(string shotsFile) => ShotPlan.For(Settings.Kind, Settings.Shots, Settings.ShotSampler,
        string.Equals(Path.GetFullPath(shotsFile), Path.GetFullPath(Data), StringComparison.Ordinal));

    private void RunChoices(string shotsFile, OutputFile output, Action<double, string?>? progress, CancellationToken ct)
    {
        var questions = Take(EvalData.ReadChoices(Settings.Kind, Data));
        var pool = Settings.Shots == 0 ? [] : EvalData.ReadChoices(Settings.Kind, shotsFile);
        List<ChoiceRequest> requests;
        using (var tokenizer = LoadedModel.LoadVocabulary(Model.Path))
        {
            var prompts = new EvalPrompts(tokenizer, Settings.Template, Settings.System);
            requests = ChoiceEvaluator.Requests(prompts, questions, pool, shotsFile, Plan(shotsFile));
        }
        using var model = LoadedModel.Load(Settings.Scoring.LoadOptions(Model, requests.SelectMany(r => r.Options).ToList()));
        ChoiceEvaluator.Run(model, new ScorerOptions(), requests, output, progress, ct);
    }

    private void RunMath(string shotsFile, OutputFile output, Action<double, string?>? progress, CancellationToken ct)
    {
        var problems = Take(EvalData.ReadMath(Data));
        var pool = Settings.Shots == 0 ? [] : EvalData.ReadMath(shotsFile);
        List<MathRequest> requests;
        using (var tokenizer = LoadedModel.LoadVocabulary(Model.Path))
        {
            var prompts = new EvalPrompts(tokenizer, Settings.Template, Settings.System);
            requests = MathEvaluator.Requests(prompts, problems, pool, shotsFile, Plan(shotsFile));
        }
        var generation = Settings.Generation(Settings.AnswerTokens);
        using var model = LoadedModel.Load(generation.LoadOptions(Model, requests.Select(r => r.Prompt).ToList()));
        var options = new BestOfNOptions { Sampling = generation.Sampling, N = 1, Stops = MathEvaluator.Stops };
        MathEvaluator.Run(model, options, requests, output, progress, ct);
    }

    private void RunChat(IJudgePrompt judgePrompt, OutputFile output, Action<double, string?>? progress, CancellationToken ct)
    {
        var questions = Take(EvalData.ReadJudged(Data));
        if (Settings.References is { } references) questions = ReferenceAnswers.Apply(questions, references);
        var answers = Answers;
        if (!answers.Prepare(AnswersFingerprint(), ReuseRule.ResumeOrRecompute))
        {
            var generation = Settings.Generation(Settings.AnswerTokens);
            using var model = LoadedModel.Load(generation.LoadOptions(Model, []));
            ChatBenchmark.Answer(model, new BestOfNOptions { Sampling = generation.Sampling, N = 1 }, Settings.Template, Settings.System,
                Settings.Temperature, questions, answers, (f, d) => progress?.Invoke(0.5 * f, "answer: " + d), ct);
        }
        var judged = ChatBenchmark.ReadAnswers(answers.Path, questions);
        var judging = Settings.Generation(Settings.JudgeMaxTokens);
        using var judge = LoadedModel.Load(judging.LoadOptions(Judge!, []), "judge");
        ChatBenchmark.Judge(judge, new BestOfNOptions { Sampling = judging.Sampling, N = 1 }, Settings.JudgeTemplate, judgePrompt, judged, output,
            (f, d) => progress?.Invoke(0.5 + 0.5 * f, "judge: " + d), ct);
    }
}
