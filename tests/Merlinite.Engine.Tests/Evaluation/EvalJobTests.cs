using System.Text.Json;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Evaluation;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Tests.Evaluation;

/// <summary>`merlinite eval`'s job on the tiny synthesized model: framing, scoring and the per-item file, checked against
/// hand-built contexts scored one at a time.</summary>
[Collection("tiny models")]
public sealed class EvalJobTests(TinyModels models) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Path(string name) => System.IO.Path.Combine(_dir, name);

    private string Write(string name, params string[] lines)
    {
        File.WriteAllLines(Path(name), lines);
        return Path(name);
    }

    private static readonly EvalTaskSettings Base = new() { Runtime = new RuntimeSettings { Context = 1024, Threads = 1 }, Parallel = 4 };

    /// <summary>Summed log-prob of <paramref name="continuation"/> after <paramref name="context"/>, scored alone with lm-eval's token rule.</summary>
    private double ScoreAlone(string context, string continuation)
    {
        using var m = LoadedModel.Load(new ModelLoadOptions { Model = new(models.Mistral), Runtime = Base.Runtime });
        var prompts = new EvalPrompts(m, ChatTemplate.Raw, null);
        var item = prompts.Tokenize("x", context, continuation);
        return new Scorer(m, new ScorerOptions()).Score([item]).Single().Sum;
    }

    [Fact]
    public void K_shot_examples_are_joined_by_a_blank_line_and_choices_by_a_single_space()
    {
        using var m = LoadedModel.LoadVocabulary(models.Mistral);
        var raw = new EvalPrompts(m, ChatTemplate.Raw, null);
        Assert.Equal("About x.\n\nQ1\nAnswer: A\n\nQ2\nAnswer: B\n\nQ3\nAnswer:",
            raw.Context("About x.\n\n", [new("Q1\nAnswer:", "A"), new("Q2\nAnswer:", "B")], "Q3\nAnswer:"));
        Assert.Equal(" C", raw.Continuation("C"));

        var chat = new EvalPrompts(m, ChatTemplate.Merlinite, "");
        Assert.Equal(MerliniteTemplate.Render([ChatMessage.User("About x.\n\nQ1"), ChatMessage.Assistant("A"), ChatMessage.User("Q3")]),
            chat.Context("About x.\n\n", [new("Q1", "A")], "Q3"));
        Assert.Equal("C", chat.Continuation("C"));
    }

    [Fact]
    public void Trailing_spaces_of_the_context_move_to_the_continuation_and_its_tokens_are_those_past_the_context()
    {
        using var m = LoadedModel.LoadVocabulary(models.Mistral);
        var item = new EvalPrompts(m, ChatTemplate.Raw, null).Tokenize("x", "the cat says ", "hello world");
        Assert.Equal(m.TokenizePrompt("the cat says"), item.PromptTokens);
        var whole = m.TokenizePrompt("the cat says hello world");
        Assert.Equal(whole[item.PromptTokens.Length..], item.ResponseTokens);
    }

    [Fact]
    public void Acc_takes_the_largest_sum_and_acc_norm_the_largest_sum_per_character()
    {
        var q = new ChoiceQuestion("q", null, "", [new("ctx", "a"), new("ctx", "bbbbbbbb")], Gold: 1);
        ScoreResult Sum(double total) => new("x", [new ScoredToken(1, total, [])]);
        // -2 vs -4: acc picks "a"; per character -2/1 vs -4/8 = -0.5: acc_norm picks "bbbbbbbb".
        using var line = JsonDocument.Parse(EvalResults.FormatChoice(q, [Sum(-2), Sum(-4)]));
        var root = line.RootElement;
        Assert.Equal(0, root.GetProperty("pred").GetInt32());
        Assert.Equal(1, root.GetProperty("pred_norm").GetInt32());
        Assert.Equal(0, root.GetProperty("acc").GetInt32());
        Assert.Equal(1, root.GetProperty("acc_norm").GetInt32());
    }

    [Fact]
    public void Multiple_choice_scores_each_option_as_if_alone_and_resumes_byte_identical()
    {
        string data = Write("arc.jsonl",
            """{"id":"a1","question":"Which one is warm?","choices":{"text":["the sun","the snow","ice"],"label":["A","B","C"]},"answerKey":"A"}""",
            """{"id":"a2","question":"Which one is a color?","choices":{"text":["red","seven"],"label":["1","2"]},"answerKey":"1"}""",
            """{"id":"a3","question":"Which one can fly?","choices":{"text":["a bird","a stone"],"label":["A","B"]},"answerKey":"A"}""");
        string shots = Write("arc-train.jsonl",
            """{"id":"s1","question":"Which one is wet?","choices":{"text":["water","sand"],"label":["A","B"]},"answerKey":"A"}""");
        var job = new EvalJob("arc", new ModelSpec(models.Mistral), data, Path("out/arc.jsonl"), Base with { Kind = EvalKind.Arc, Shots = 1, ShotsFile = shots });
        var (summary, _) = job.Run(ReuseRule.ResumeOrRefuse, null, default);

        var lines = File.ReadAllLines(job.Out);
        Assert.Equal(3, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        var ll = first.RootElement.GetProperty("loglikelihoods").EnumerateArray().Select(e => e.GetDouble()).ToList();
        string context = "Question: Which one is wet?\nAnswer: water\n\nQuestion: Which one is warm?\nAnswer:";
        string[] choices = ["the sun", "the snow", "ice"];
        // Scored together vs alone: other batch shapes, measured at most 2e-6 per token (ReferenceParityTests); 4 places.
        for (int k = 0; k < 3; k++) Assert.Equal(ScoreAlone(context, " " + choices[k]), ll[k], 4);
        Assert.Equal(ll.IndexOf(ll.Max()), first.RootElement.GetProperty("pred").GetInt32());
        Assert.Equal(lines.Count(l => l.Contains("\"acc\":1", StringComparison.Ordinal)) / 3.0, summary.Metrics.Single(m => m.Name == "acc").Value, 12);
        Assert.Equal("acc_norm", summary.Headline);
        Assert.True(File.Exists(job.SummaryPath));

        // A killed run: the first line written, the rest not. The rerun finishes it with the same bytes.
        byte[] complete = File.ReadAllBytes(job.Out);
        File.Move(job.Out, job.Output.PartialPath);
        File.WriteAllLines(job.Output.PartialPath, [lines[0]]);
        job.Run(ReuseRule.ResumeOrRefuse, null, default);
        Assert.Equal(complete, File.ReadAllBytes(job.Out));
    }

    [Fact]
    public void Winogrande_compares_the_rest_of_the_sentence_under_each_filled_in_option()
    {
        string data = Write("wino.jsonl", """{"sentence":"The cat chased the dog because the _ was hungry.","option1":"cat","option2":"dog","answer":"1"}""");
        var job = new EvalJob("wino", new ModelSpec(models.Mistral), data, Path("wino.jsonl.out"), Base with { Kind = EvalKind.Winogrande });
        var (summary, _) = job.Run(ReuseRule.ResumeOrRefuse, null, default);
        using var line = JsonDocument.Parse(File.ReadAllLines(job.Out).Single());
        var ll = line.RootElement.GetProperty("loglikelihoods").EnumerateArray().Select(e => e.GetDouble()).ToList();
        // As above: at most 2e-6 per token measured between batch shapes; 4 places.
        Assert.Equal(ScoreAlone("The cat chased the dog because the cat", " was hungry."), ll[0], 4);
        Assert.Equal(ScoreAlone("The cat chased the dog because the dog", " was hungry."), ll[1], 4);
        Assert.Equal(["acc"], summary.Metrics.Select(m => m.Name));
        Assert.Equal(ll[0] > ll[1] ? 1.0 : 0.0, summary.HeadlineValue);
    }

    [Fact]
    public void Gsm8k_generates_greedily_and_records_both_extractions_of_what_it_wrote()
    {
        string data = Write("gsm.jsonl", """{"question":"Tom has 2 apples and buys 3. How many?","answer":"2 + 3 = 5\n#### 5"}""",
            """{"question":"What is 10 - 4?","answer":"#### 6"}""");
        var job = new EvalJob("gsm", new ModelSpec(models.Mistral), data, Path("gsm.jsonl.out"), Base with { Kind = EvalKind.Gsm8k, Shots = 1, MaxTokens = 12 });
        var (summary, _) = job.Run(ReuseRule.ResumeOrRefuse, null, default);
        foreach (var l in File.ReadAllLines(job.Out))
        {
            using var doc = JsonDocument.Parse(l);
            var r = doc.RootElement;
            string output = r.GetProperty("output").GetString()!;
            Assert.Equal(AnswerExtraction.Strict(output), r.GetProperty("strict").GetString());
            Assert.Equal(AnswerExtraction.Flexible(output), r.GetProperty("flexible").GetString());
            Assert.DoesNotContain("Question:", output);
        }
        Assert.Equal(["strict", "flexible"], summary.Metrics.Select(m => m.Name));
        // Greedy: a second run from scratch writes the same file.
        byte[] first = File.ReadAllBytes(job.Out);
        job.Run(ReuseRule.Recompute, null, default);
        Assert.Equal(first, File.ReadAllBytes(job.Out));
    }

    [Fact]
    public void Mt_bench_counts_judgments_without_a_rating_and_a_new_judge_prompt_keeps_the_answers()
    {
        string data = Write("mt.jsonl", """{"question_id":1,"category":"math","turns":["2+2?","and 3+3?"],"reference":["4","6"]}""",
            """{"question_id":2,"category":"writing","turns":["Say hi."]}""");
        string prompt = Write("judge.txt", "Q: {question} A: {answer} R: {reference} ({category}, turn {turn})");
        var settings = Base with { Kind = EvalKind.MtBench, Template = ChatTemplate.Merlinite, MaxTokens = 6, JudgeTemplate = ChatTemplate.Raw, JudgeMaxTokens = 6 };
        var job = new EvalJob("mt", new ModelSpec(models.Mistral), data, Path("mt.jsonl.out"), settings with { JudgePrompt = prompt }, new ModelSpec(models.Mistral));
        var (summary, _) = job.Run(ReuseRule.ResumeOrRefuse, null, default);

        var lines = File.ReadAllLines(job.Out).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var turns = lines.SelectMany(l => l.GetProperty("turns").EnumerateArray()).ToList();
        Assert.Equal(3, turns.Count);
        // A random-weight judge writes no [[rating]]: every turn is a recorded failure, none is silently a score.
        int unrated = turns.Count(t => t.GetProperty("rating").ValueKind == JsonValueKind.Null);
        Assert.Equal(unrated, summary.FailedJudgments);
        Assert.All(turns.Where(t => t.GetProperty("rating").ValueKind == JsonValueKind.Null), t => Assert.False(string.IsNullOrEmpty(t.GetProperty("failure").GetString())));
        Assert.Contains("not by GPT-4", summary.Note);

        var answersBefore = File.ReadAllBytes(job.Answers.Path);
        var answersTime = File.GetLastWriteTimeUtc(job.Answers.Path);
        string other = Write("judge2.txt", "Grade {answer}");
        var rejudged = job with { Settings = job.Settings with { JudgePrompt = other } };
        rejudged.Run(ReuseRule.ResumeOrRecompute, null, default);
        Assert.Equal(answersBefore, File.ReadAllBytes(job.Answers.Path));
        Assert.Equal(answersTime, File.GetLastWriteTimeUtc(job.Answers.Path));
    }

    [Fact]
    public void Bad_settings_and_files_are_refused_by_name_before_anything_runs()
    {
        string data = Write("mc.jsonl", """{"question":"q","choices":["a","b"],"answer":0}""");
        var missing = new EvalJob("x", new ModelSpec(models.Mistral), Path("nope.jsonl"), Path("o1.jsonl"), Base);
        Assert.Contains(Assert.Throws<SettingException>(missing.Validate).Problems, p => p.Key == "data" && p.Message.Contains("file not found"));
        var noJudge = new EvalJob("x", new ModelSpec(models.Mistral), data, Path("o2.jsonl"), Base with { Kind = EvalKind.MtBench, Template = ChatTemplate.Merlinite });
        Assert.Contains(Assert.Throws<SettingException>(noJudge.Validate).Problems, p => p.Key == "judge");
        var badMetric = new EvalJob("x", new ModelSpec(models.Mistral), data, Path("o3.jsonl"), Base with { Metric = "strict" });
        Assert.Contains(Assert.Throws<SettingException>(badMetric.Validate).Problems, p => p.Key == "metric");
        var tooManyShots = new EvalJob("x", new ModelSpec(models.Mistral), data, Path("o4.jsonl"), Base with { Shots = 3 });
        var e = Assert.Throws<InputFormatException>(() => tooManyShots.Run(ReuseRule.ResumeOrRefuse, null, default));
        Assert.Contains($"{data}: 3-shot needs 3 examples but the shots file has 0", e.Message);
        Assert.False(File.Exists(Path("o4.jsonl")) || File.Exists(Path("o4.jsonl.meta.json")), "a refused run leaves nothing behind");
    }
}
