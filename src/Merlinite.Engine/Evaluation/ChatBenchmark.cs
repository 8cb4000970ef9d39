using System.Text.Json;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Sampling;

namespace Merlinite.Engine.Evaluation;

/// <summary>The policy's answers to every turn of one question.</summary>
public sealed record ChatAnswers(JudgedQuestion Question, IReadOnlyList<string> Answers);

/// <summary>
/// MT-Bench-style judged chat in two steps, each a resumable file. Answer: the policy answers turn 1 of a block of
/// questions, then turn 2 with its own first answer in the conversation, and so on; each category at its own
/// temperature (FastChat's: 0.7 for writing and roleplay, 0.1 for stem and humanities, greedy for extraction, math,
/// coding and reasoning). Judge: a judge model reads each turn (<see cref="JudgePrompt"/>) and rates it; a judgment
/// without a readable rating is recorded as such and counted, never dropped.
/// </summary>
public static class ChatBenchmark
{
    private const int BlockQuestions = 16;

    public static float Temperature(string category) => category switch
    {
        "writing" or "roleplay" => 0.7f,
        "stem" or "humanities" => 0.1f,
        "extraction" or "math" or "coding" or "reasoning" or "arena-hard-200" => 0.0f,
        _ => 0.7f,
    };

    /// <param name="temperature">One temperature for every category instead of FastChat's per-category ones.</param>
    public static void Answer(LoadedModel model, BestOfNOptions options, ChatTemplate template, string? system, float? temperature,
        IReadOnlyList<JudgedQuestion> questions, OutputFile outFile, Action<double, string?>? progress, CancellationToken ct)
    {
        var renderer = new PromptRenderer(model, template);
        EvalBlocks.Run(questions, q => q.Id, BlockQuestions, outFile, block =>
        {
            var answers = block.ToDictionary(q => q.Id, _ => new List<(string Text, FinishReason Finish)>(), StringComparer.Ordinal);
            for (int turn = 0; turn < block.Max(q => q.Turns.Count); turn++)
            {
                var asking = block.Where(q => q.Turns.Count > turn).ToList();
                foreach (var group in asking.GroupBy(q => temperature ?? Temperature(q.Category)))
                {
                    var requests = group.Select(q =>
                    {
                        var messages = new List<ChatMessage>();
                        if (template.SystemPrompt(system) is { Length: > 0 } s) messages.Add(ChatMessage.System(s));
                        for (int t = 0; t < turn; t++) { messages.Add(ChatMessage.User(q.Turns[t])); messages.Add(ChatMessage.Assistant(answers[q.Id][t].Text)); }
                        messages.Add(ChatMessage.User(q.Turns[turn]));
                        return new SampleRequest($"{q.Id}/turn-{turn + 1}", model.TokenizePrompt(renderer.Render(messages)));
                    }).ToList();
                    var outputs = EvalBlocks.Generate(model, options with { Sampling = options.Sampling with { Temperature = group.Key } }, requests, ct);
                    foreach (var q in group) answers[q.Id].Add((outputs[$"{q.Id}/turn-{turn + 1}"].Text, outputs[$"{q.Id}/turn-{turn + 1}"].FinishReason));
                }
            }
            return block.Select(q => JsonLines.Format(w =>
            {
                w.WriteString("id", q.Id);
                w.WriteString("category", q.Category);
                w.WriteStartArray("answers");
                foreach (var a in answers[q.Id]) w.WriteStringValue(a.Text);
                w.WriteEndArray();
                w.WriteStartArray("finish_reasons");
                foreach (var a in answers[q.Id]) w.WriteStringValue(a.Finish.ToString().ToLowerInvariant());
                w.WriteEndArray();
            })).ToList();
        }, "questions answered", progress, ct);
    }

    /// <summary>Reads an answers file back, matched to its questions.</summary>
    public static IReadOnlyList<ChatAnswers> ReadAnswers(string path, IReadOnlyList<JudgedQuestion> questions)
    {
        var byId = questions.ToDictionary(q => q.Id, StringComparer.Ordinal);
        var read = JsonLines.Read(path, (root, where, lineNo) =>
        {
            string id = JsonLines.Id(root, where, lineNo);
            if (!byId.TryGetValue(id, out var q)) throw new InputFormatException($"{where}: question {id} is not in the question file");
            if (!root.TryGetProperty("answers", out var a) || a.ValueKind != JsonValueKind.Array || a.GetArrayLength() != q.Turns.Count)
                throw new InputFormatException($"{where}: expected {q.Turns.Count} \"answers\"");
            return new ChatAnswers(q, a.EnumerateArray().Select(x => x.GetString() ?? "").ToList());
        });
        return read;
    }

    /// <summary>The judge's case for each turn of <paramref name="a"/>, keyed "ID/turn-N".</summary>
    public static IEnumerable<(string Id, JudgeCase Case)> Cases(ChatAnswers a) =>
        a.Question.Turns.Select((_, t) => ($"{a.Question.Id}/turn-{t + 1}", new JudgeCase(a.Question.Id,
            a.Question.Category, t + 1, a.Question.Turns.Take(t + 1).ToList(), a.Answers.Take(t + 1).ToList(),
            a.Question.References)));

    public static void Judge(LoadedModel judge, BestOfNOptions options, ChatTemplate template, IJudgePrompt prompt,
        IReadOnlyList<ChatAnswers> answers, OutputFile outFile, Action<double, string?>? progress, CancellationToken ct)
    {
        var renderer = new PromptRenderer(judge, template);
        EvalBlocks.Run(answers, a => a.Question.Id, BlockQuestions, outFile, block =>
        {
            var requests = block.SelectMany(Cases).Select(c =>
            {
                var input = prompt.Render(c.Case);
                var messages = new List<ChatMessage>();
                if (input.System is { } system) messages.Add(ChatMessage.System(system));
                messages.Add(ChatMessage.User(input.User));
                return new SampleRequest(c.Id, judge.TokenizePrompt(renderer.Render(messages)));
            }).ToList();
            var judgments = EvalBlocks.Generate(judge, options, requests, ct);
            return block.Select(a => JsonLines.Format(w =>
            {
                w.WriteString("id", a.Question.Id);
                w.WriteString("category", a.Question.Category);
                w.WriteStartArray("turns");
                var ratings = new List<double>();
                for (int t = 0; t < a.Question.Turns.Count; t++)
                {
                    string judgment = judgments[$"{a.Question.Id}/turn-{t + 1}"].Text;
                    var (rating, failure) = JudgeRating.ParseAsFastChat(judgment);
                    w.WriteStartObject();
                    w.WriteString("question", a.Question.Turns[t]);
                    w.WriteString("answer", a.Answers[t]);
                    w.WriteString("judgment", judgment);
                    if (rating is double v) { w.WriteNumber("rating", v); ratings.Add(v); }
                    else { w.WriteNull("rating"); w.WriteString("failure", failure); }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                if (ratings.Count > 0) w.WriteNumber("score", Math.Round(ratings.Average(), 6)); else w.WriteNull("score");
            })).ToList();
        }, "questions judged", progress, ct);
    }
}
