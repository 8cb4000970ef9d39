using System.Text.Json.Nodes;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;

namespace Merlinite.Recipes.World;

/// <summary>
/// The tiny world's benchmark files, in the public layouts `merlinite eval` reads: the digit tasks as multiple choice
/// (the right digit among three others), as generation (GSM8K's layout, the answer after "#### "), and as two-turn
/// chat questions (FastChat's layout) that a tiny judge rates. The judge is the instruct model tuned on answers
/// labelled by the exact-match checker: "Rating: [[9]]" for a right one, "Rating: [[2]]" for a wrong one. Like
/// MT-Bench's judge for math and reasoning it grades against the reference answer, which its prompt puts right beside
/// the answer: this 2-layer model cannot work a task out (asked "question = answer" it rated at chance) and compares
/// two digits well only when they are next to each other (<see cref="JudgeAgreement"/>, issue 32: 98.8 % on held-out
/// answers; 86.8 % with the question before them, 77 % with ", reference" between them). The labels share no token,
/// so an unsure greedy judge is not pushed down one branch by a shared first token ("[[10]]" / "[[1]]" were).
/// </summary>
public static class TinyBenchmarks
{
    public const string ChoiceFile = "eval-mc.jsonl", GenerationFile = "eval-gen.jsonl", ChatFile = "eval-chat.jsonl", JudgePromptFile = "judge-prompt.txt";

    /// <summary>The judge's prompt: what it was trained on, with `merlinite eval`'s slots.</summary>
    public const string JudgePrompt = "Rate: {answer} {reference}";

    /// <summary>The judge's ratings of a right and a wrong answer.</summary>
    public const int RightRating = 9, WrongRating = 2;

    private static TinyTask Task(int i, Random rng) => TinyTasks.Make(TinyTasks.Sources[i % TinyTasks.Sources.Length], rng);

    public static IEnumerable<string> Choices(int count, Random rng) => Enumerable.Range(0, count).Select(i =>
    {
        var task = Task(i, rng);
        var choices = new List<string> { task.Right, task.Wrong };
        while (choices.Count < 4) { string d = rng.Next(10).ToString(); if (!choices.Contains(d)) choices.Add(d); }
        var order = choices.OrderBy(_ => rng.Next()).ToList();
        return new JsonObject
        {
            ["id"] = $"mc{i}", ["subject"] = task.Source, ["question"] = task.Prompt,
            ["choices"] = new JsonArray(order.Select(c => (JsonNode)c).ToArray()), ["answer"] = order.IndexOf(task.Right),
        }.ToJsonString(JsonStyle.Compact);
    }).ToList();

    public static IEnumerable<string> Generation(int count, Random rng) => Enumerable.Range(0, count).Select(i =>
    {
        var task = Task(i, rng);
        return new JsonObject
        {
            ["id"] = $"gen{i}", ["question"] = task.Prompt, ["answer"] = $"#### {task.Right}",
        }.ToJsonString(JsonStyle.Compact);
    }).ToList();

    public static IEnumerable<string> Chat(int count, Random rng) => Enumerable.Range(0, count).Select(i =>
    {
        var first = Task(i, rng);
        var second = Task(i + 1, rng);
        return new JsonObject
        {
            ["question_id"] = 100 + i, ["category"] = first.Source,
            ["turns"] = new JsonArray(first.Prompt, second.Prompt), ["reference"] = new JsonArray(first.Right, second.Right),
        }.ToJsonString(JsonStyle.Compact);
    }).ToList();

    public static IEnumerable<string> JudgeExamples(int count, Random rng) =>
        JudgeItems(count, rng).Select((j, i) => PromptFile.Format(new PromptItem($"judge{i}",
            [ChatMessage.User(j.Prompt), ChatMessage.Assistant($"Rating: [[{(j.Right ? RightRating : WrongRating)}]]")], null)))
        .ToList();

    /// <summary>Judge prompts with what the checker says of their answers.</summary>
    public static List<(string Prompt, bool Right)> JudgeItems(int count, Random rng) => Enumerable.Range(0, count).Select(i =>
    {
        var task = Task(i, rng);
        // Right or wrong by a coin, not by position: the position decides the task family, and a judge would learn that.
        bool right = rng.Next(2) == 0;
        string prompt = JudgePrompt.Replace("{question}", task.Prompt, StringComparison.Ordinal)
            .Replace("{answer}", right ? task.Right : task.Wrong, StringComparison.Ordinal)
            .Replace("{reference}", task.Right, StringComparison.Ordinal);
        return (prompt, right);
    }).ToList();
}
