using System.Text.Json.Nodes;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Outputs;
using Merlinite.Gguf.Lora;
using Merlinite.Recipes.Running;
using Merlinite.Synth;

namespace Merlinite.Recipes.World;

/// <summary>
/// Builds the tiny world recipes/tiny.yaml runs in, from nothing, on the CPU: a random-weight model is pre-trained on
/// instructions whose answers are right about half of the time (the base: it knows the format and answers
/// inconsistently), then tuned further on right answers only (the instruct reward model). The reference model is the
/// base, and so is the starting policy. Like a recipe run, every file carries the fingerprint of what made it: a
/// rebuild with the same options does nothing, and another seed rebuilds what it changes.
/// </summary>
public static class TinyWorldBuilder
{
    public const string BaseFile = "base.gguf", InstructFile = "instruct.gguf", PromptsFile = "prompts.jsonl", JudgeFile = "judge.gguf";

    public static void Build(string dir, TinyWorldOptions o, int threads, PhaseDisplay display, TextWriter log, CancellationToken ct)
    {
        string File(string name) => Path.Combine(dir, name);
        Directory.CreateDirectory(dir);
        var random = new OutputFile(File("random.gguf"));
        var dims = new SynthDimensions
        {
            EmbeddingLength = o.EmbeddingLength, BlockCount = o.BlockCount, HeadCount = o.HeadCount, HeadCountKv = o.HeadCount,
            FeedForwardLength = o.FeedForwardLength, ContextLength = 1024,
        };
        var synth = new Fingerprint("synth").Add("seed", (long)o.Seed).Add("algorithm", ModelSynthesizer.AlgorithmVersion)
            .Add("dims", $"{o.EmbeddingLength},{o.BlockCount},{o.HeadCount},{o.FeedForwardLength}");
        if (!random.Prepare(synth, ReuseRule.ResumeOrRecompute))
        {
            ModelSynthesizer.Synthesize(new SynthOptions { Arch = SynthArch.Mistral, Preset = SynthPreset.Tiny, Dimensions = dims, Seed = o.Seed, Name = "tiny-world" }, random.Path);
            log.WriteLine($"tiny world: synthesized {random.Path}");
        }

        // The data come from one seeded stream, in this order, so every file is the same on every machine.
        var rng = new Random((int)o.Seed);
        var data = new Fingerprint("tiny-world-data").Add("seed", (long)o.Seed).Add("pretrain", o.PretrainExamples)
            .Add("wrong_share", o.WrongShare).Add("instruct", o.InstructExamples).Add("prompts", o.Prompts);
        WriteIfChanged(new OutputFile(File("pretrain.jsonl")), data, Examples(o.PretrainExamples, rng, o.WrongShare, "pre"));
        WriteIfChanged(new OutputFile(File("instruct-data.jsonl")), data, Examples(o.InstructExamples, rng, 0, "ins"));
        WriteIfChanged(new OutputFile(File(PromptsFile)), data, Prompts(o.Prompts, rng));

        var settings = new TrainSettings
        {
            Rank = o.Rank, Alpha = o.Rank, Lr = o.LearningRate, Epochs = o.PretrainEpochs, BatchSize = o.BatchSize,
            WarmupSteps = 10, Seed = (int)o.Seed, Threads = threads,
            // float32: at 0.6M parameters bf16's 8-bit mantissa is most of the signal, and the world's figures are pinned in f32.
            Dtype = TrainDtype.F32, Device = "cpu",
        };
        TrainAndMerge(random.Path, File("pretrain.jsonl"), File("pretrain-adapter.gguf"), File(BaseFile), settings,
            display, "tiny world: pre-train the base", ct);
        TrainAndMerge(File(BaseFile), File("instruct-data.jsonl"), File("instruct-adapter.gguf"), File(InstructFile),
            settings with { Epochs = o.InstructEpochs, Seed = (int)o.Seed + 1 }, display, "tiny world: tune the instruct model on right answers", ct);

        // The world's benchmarks, from their own seeded stream (the files above stay as they were): the digit tasks as
        // multiple choice, as generation, as a two-turn judged chat, and a judge that rates an answer by the checker.
        var evalRng = new Random((int)o.Seed + 1000);
        var evalData = new Fingerprint("tiny-world-eval").Add("seed", (long)o.Seed).Add("items", o.EvalItems)
            .Add("judge_examples", o.JudgeExamples).Add("version", 3);
        WriteIfChanged(new OutputFile(File(TinyBenchmarks.ChoiceFile)), evalData, TinyBenchmarks.Choices(o.EvalItems, evalRng));
        WriteIfChanged(new OutputFile(File(TinyBenchmarks.GenerationFile)), evalData, TinyBenchmarks.Generation(o.EvalItems, evalRng));
        WriteIfChanged(new OutputFile(File(TinyBenchmarks.ChatFile)), evalData, TinyBenchmarks.Chat(o.EvalItems / 2, evalRng));
        WriteIfChanged(new OutputFile(File(TinyBenchmarks.JudgePromptFile)), evalData, [TinyBenchmarks.JudgePrompt]);
        WriteIfChanged(new OutputFile(File("judge-data.jsonl")), evalData, TinyBenchmarks.JudgeExamples(o.JudgeExamples, evalRng));
        TrainAndMerge(File(InstructFile), File("judge-data.jsonl"), File("judge-adapter.gguf"), File(JudgeFile),
            settings with { Epochs = o.JudgeEpochs, Seed = (int)o.Seed + 2 }, display, "tiny world: tune the judge to rate answers", ct);
        CheckJudge(File(JudgeFile), File(JudgeAgreement.File), o.Seed, threads, display, log, ct);

        if (!o.Lab) return;
        // LAB: a taxonomy of the digit skills (qna.yaml files, a document, the tiny prompts) and a teacher that writes,
        // rates and answers questions in those prompts' words. Their own seeded streams: the files above stay as they were.
        var labFiles = new OutputFile(File(TaxonomyListFile));
        var taxonomy = new Fingerprint("tiny-world-taxonomy").Add("seed", (long)o.Seed).Add("version", 3);
        if (!labFiles.Prepare(taxonomy, ReuseRule.ResumeOrRecompute))
        {
            var files = TinyTaxonomy.Files(new Random((int)o.Seed + 2000)).ToList();
            foreach (var (relative, text) in files) AtomicFile.WriteAllText(File(relative), text);
            AtomicFile.WriteAllLines(labFiles.Path, files.Select(f => f.RelativePath));
        }
        var teacherData = new Fingerprint("tiny-world-teacher").Add("seed", (long)o.Seed).Add("examples", o.TeacherExamples).Add("version", 6);
        WriteIfChanged(new OutputFile(File("teacher-data.jsonl")), teacherData, TinyTaxonomy.TeacherExamples(o.TeacherExamples, new Random((int)o.Seed + 3000)));
        TrainAndMerge(File(InstructFile), File("teacher-data.jsonl"), File("teacher-adapter.gguf"), File(TinyTaxonomy.TeacherFile),
            settings with { Epochs = o.TeacherEpochs, Seed = (int)o.Seed + 3 }, display, "tiny world: tune the teacher to write, rate and answer questions", ct);
    }

    /// <summary>Measures the judge against the checker on held-out answers (once per judge) and says the figure.</summary>
    private static void CheckJudge(string judge, string path, ulong seed, int threads, PhaseDisplay display,
        TextWriter log, CancellationToken ct)
    {
        var made = new Fingerprint("judge-agreement").AddFile("judge", judge).Add("items", JudgeAgreement.Items)
            .Add("seed", (long)seed);
        if (new OutputFile(path).Check(made).Status != OutputStatus.Complete)
            display("tiny world: the judge against the checker on held-out answers", report =>
                JudgeAgreement.Write(path, JudgeAgreement.Measure(judge, seed, threads, ct), made));
        var figures = System.Text.Json.JsonDocument.Parse(System.IO.File.ReadAllText(path)).RootElement;
        log.WriteLine(FormattableString.Invariant($"tiny world: the judge agrees with the checker on ") +
            FormattableString.Invariant($"{figures.GetProperty("agreement").GetDouble() * 100:F1} % of ") +
            FormattableString.Invariant($"{figures.GetProperty("items").GetInt32()} held-out answers"));
    }

    /// <summary>The taxonomy's files, listed once they are all written.</summary>
    public const string TaxonomyListFile = "taxonomy-files.txt";

    private static IEnumerable<string> Examples(int count, Random rng, double wrongShare, string prefix) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var task = TinyTasks.Make(TinyTasks.Sources[i % TinyTasks.Sources.Length], rng);
            string answer = rng.NextDouble() < wrongShare ? task.Wrong : task.Right;
            return PromptFile.Format(new PromptItem($"{prefix}{i}", [ChatMessage.User(task.Prompt), ChatMessage.Assistant(answer)], null));
        }).ToList(); // drawn now: the order of draws from rng is part of the world

    /// <summary>Prompts with their right answers, for sampling and the held-out checker. Plain "prompt" lines, so a
    /// recipe's prompts.system applies to them.</summary>
    private static IEnumerable<string> Prompts(int count, Random rng) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var task = TinyTasks.Make(TinyTasks.Sources[i % TinyTasks.Sources.Length], rng);
            return new JsonObject
            {
                ["id"] = $"t{i}", ["source"] = task.Source, ["prompt"] = task.Prompt, ["answer"] = task.Right,
            }.ToJsonString(JsonStyle.Compact);
        }).ToList();

    private static void WriteIfChanged(OutputFile output, Fingerprint made, IEnumerable<string> lines)
    {
        if (output.Prepare(made, ReuseRule.ResumeOrRecompute)) return;
        AtomicFile.WriteAllLines(output.Path, lines);
    }

    private static void TrainAndMerge(string model, string data, string adapter, string merged, TrainSettings settings,
        PhaseDisplay display, string title, CancellationToken ct)
    {
        var job = new TrainJob(model, [data], adapter, null, settings);
        if (job.Output.Check(job.Fingerprint()).Status != OutputStatus.Complete)
            display(title, report => job.Run(ReuseRule.ResumeOrRecompute, p => report(p.TotalSteps == 0 ? 0 : (double)p.Step / p.TotalSteps, $"step {p.Step}/{p.TotalSteps}"), ct));
        var output = new OutputFile(merged);
        var made = new Fingerprint("merge").AddFile("model", model).AddFile("lora", adapter);
        if (!output.Prepare(made, ReuseRule.ResumeOrRecompute)) LoraMerger.Merge(model, [(adapter, 1.0f)], merged);
    }
}
