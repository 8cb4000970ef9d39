using System.Diagnostics;
using System.Text.Json;
using Merlinite.Engine.Data;
using Merlinite.Engine.Evaluation;

namespace Merlinite.Engine.Tests.Evaluation;

/// <summary>
/// FastChat's own MT-Bench files read as its gen_judgment.py reads them: the judge input for one question of every
/// category, both turns, equals what FastChat renders. The reference rendering is Python's own str.format, run on the
/// same files by a few lines that follow gen_judgment's choice of prompt (not this project's code).
/// </summary>
public class FastChatJudgeTests
{
    private static string? MtBench { get; } = SharedData.Folder("mt_bench");

    private const string Python = """
        import json, sys
        root = sys.argv[1]
        prompts = {p["name"]: p for p in map(json.loads, open(root + "/judge_prompts.jsonl"))}
        refs = {r["question_id"]: r["choices"][0]["turns"] for r in map(json.loads, open(root + "/reference_answer/gpt-4.jsonl"))}
        need_ref = ["math", "reasoning", "coding", "arena-hard-200"]
        seen = set()
        for q in map(json.loads, open(root + "/question.jsonl")):
            if q["category"] in seen: continue
            seen.add(q["category"])
            answers = ["ANSWER %d.%d {not a slot}" % (q["question_id"], t + 1) for t in range(2)]
            kwargs = {}
            if q["category"] in need_ref:
                kwargs = {"ref_answer_1": refs[q["question_id"]][0], "ref_answer_2": refs[q["question_id"]][1]}
            math = q["category"] in need_ref
            one = prompts["single-math-v1" if math else "single-v1"]
            two = prompts["single-math-v1-multi-turn" if math else "single-v1-multi-turn"]
            first = one["prompt_template"].format(question=q["turns"][0], answer=answers[0],
                **({"ref_answer_1": kwargs["ref_answer_1"]} if math else {}))
            second = two["prompt_template"].format(question_1=q["turns"][0], question_2=q["turns"][1],
                answer_1=answers[0], answer_2=answers[1], **kwargs)
            print(json.dumps({"id": str(q["question_id"]), "turn": 1, "system": one["system_prompt"], "user": first}))
            print(json.dumps({"id": str(q["question_id"]), "turn": 2, "system": two["system_prompt"], "user": second}))
        """;

    [SharedDataFact("mt_bench")]
    public void The_judge_input_of_every_category_and_turn_is_what_fastchat_renders()
    {
        var psi = new ProcessStartInfo("python3", ["-c", Python, MtBench!]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var python = Process.Start(psi)!;
        var stderr = python.StandardError.ReadToEndAsync();
        var expected = python.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        python.WaitForExit();
        Assert.True(python.ExitCode == 0, stderr.Result);
        Assert.Equal(16, expected.Count); // 8 categories × 2 turns

        var prompts = FastChatJudgePrompts.Load(Path.Combine(MtBench!, "judge_prompts.jsonl"));
        var questions = ReferenceAnswers.Apply(EvalData.ReadJudged(Path.Combine(MtBench!, "question.jsonl")),
            Path.Combine(MtBench!, "reference_answer", "gpt-4.jsonl"));
        foreach (var e in expected)
        {
            var q = questions.Single(q => q.Id == e.GetProperty("id").GetString());
            var answers = new ChatAnswers(q, [$"ANSWER {q.Id}.1 {{not a slot}}", $"ANSWER {q.Id}.2 {{not a slot}}"]);
            int turn = e.GetProperty("turn").GetInt32();
            var input = prompts.Render(ChatBenchmark.Cases(answers).ElementAt(turn - 1).Case);
            Assert.Equal(e.GetProperty("system").GetString(), input.System);
            Assert.Equal(e.GetProperty("user").GetString(), input.User);
        }
    }

    [SharedDataFact("mt_bench")]
    public void A_fastchat_prompt_text_as_judge_prompt_fills_its_numbered_slots()
    {
        // FastChat's single-math-v1 text as a plain template file: {ref_answer_1} is the question's reference.
        var math = File.ReadLines(Path.Combine(MtBench!, "judge_prompts.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(p => p.GetProperty("name").GetString() == "single-math-v1");
        string file = Path.Combine(Directory.CreateTempSubdirectory("judge-").FullName, "single-math-v1.txt");
        File.WriteAllText(file, math.GetProperty("prompt_template").GetString());
        var q = new JudgedQuestion("7", "math", ["What is 2+2?"], ["4"]);
        var input = JudgePrompt.Load(file).Render(ChatBenchmark.Cases(new ChatAnswers(q, ["5"])).Single().Case);
        Assert.Contains("[The Start of Reference Answer]\n4\n[The End of Reference Answer]", input.User);
        Assert.DoesNotContain("{ref_answer_1}", input.User);
    }

    [Theory]
    [InlineData("Rate {question} -> {answer} using {ref_answer}", "unknown slot {ref_answer}")]
    [InlineData("Rate {question_1} -> {answer_1} {turn_2}", "unknown slot {turn_2}")]
    [InlineData("Rate {question}", "has no {answer} slot")]
    [InlineData("Rate {question} -> {answer} }", "a single '}'")]
    public void A_judge_prompt_with_a_slot_nobody_fills_is_refused_naming_it(string template, string message)
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("judge-").FullName, "prompt.txt");
        File.WriteAllText(file, template);
        var e = Assert.Throws<InputFormatException>(() => JudgePrompt.Load(file));
        Assert.Contains(message, e.Message);
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public void A_slot_the_turn_has_no_value_for_is_an_error_naming_it()
    {
        string file = Path.Combine(Directory.CreateTempSubdirectory("judge-").FullName, "prompt.txt");
        File.WriteAllText(file, "{question_2} {answer_2} and {{literal}}");
        var prompt = JudgePrompt.Load(file);
        var q = new JudgedQuestion("9", "writing", ["one", "two"], null);
        var cases = ChatBenchmark.Cases(new ChatAnswers(q, ["a1", "a2"])).ToList();
        Assert.Equal("two a2 and {literal}", prompt.Render(cases[1].Case).User);
        var e = Assert.Throws<InputFormatException>(() => prompt.Render(cases[0].Case));
        Assert.Contains("slot {question_2} has no value", e.Message);
        Assert.Contains("question 9 turn 1", e.Message);
    }

    /// <summary>One line of a judge_prompts.jsonl: a single-answer prompt with system prompt "S".</summary>
    private static string Prompt(string name, string template) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["name"] = name, ["type"] = "single", ["system_prompt"] = "S", ["prompt_template"] = template,
        ["output_format"] = "[[rating]]",
    });

    [Fact]
    public void A_fastchat_prompts_file_with_an_unknown_slot_or_a_missing_prompt_is_refused()
    {
        string dir = Directory.CreateTempSubdirectory("judge-").FullName, file = Path.Combine(dir, "judge_prompts.jsonl");
        File.WriteAllLines(file, [Prompt("single-v1", "{question} {answer}"), Prompt("single-math-v1", "{question} {answer} {ref_answer}")]);
        var e = Assert.Throws<InputFormatException>(() => FastChatJudgePrompts.Load(file));
        Assert.Contains("single-math-v1", e.Message);
        Assert.Contains("unknown slot {ref_answer}", e.Message);
        Assert.Contains(":2", e.Message); // the line

        File.WriteAllLines(file, [Prompt("single-v1", "{question} {answer}")]);
        e = Assert.Throws<InputFormatException>(() => FastChatJudgePrompts.Load(file));
        Assert.Contains("no judge prompt named single-math-v1", e.Message);
    }

    [Fact]
    public void A_category_that_needs_a_reference_without_one_says_how_to_give_it()
    {
        string dir = Directory.CreateTempSubdirectory("judge-").FullName, file = Path.Combine(dir, "judge_prompts.jsonl");
        File.WriteAllLines(file, [Prompt("single-v1", "{question} {answer}"), Prompt("single-math-v1", "{question} {answer} {ref_answer_1}"),
            Prompt("single-v1-multi-turn", "{question_2} {answer_2}"), Prompt("single-math-v1-multi-turn", "{answer_2} {ref_answer_2}")]);
        var prompts = FastChatJudgePrompts.Load(file);
        var q = new JudgedQuestion("12", "coding", ["write it"], null);
        var e = Assert.Throws<InputFormatException>(() => prompts.Render(ChatBenchmark.Cases(new ChatAnswers(q, ["code"])).Single().Case));
        Assert.Contains("slot {ref_answer_1} has no value", e.Message);
        Assert.Contains("give --references", e.Message);
        Assert.Equal(new JudgeInput("S", "write it code"),
            prompts.Render(ChatBenchmark.Cases(new ChatAnswers(q with { Category = "writing" }, ["code"])).Single().Case));
    }
}
