using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Sampling;

namespace Merlinite.Engine.Evaluation;

/// <summary>A GSM8K problem with the prompt the model continues.</summary>
public sealed record MathRequest(MathProblem Problem, SampleRequest Prompt);

/// <summary>
/// GSM8K by generation, as lm-evaluation-harness runs it: k worked solutions ("Question: ...\nAnswer: ... #### n"),
/// then the question; a greedy answer up to the stop strings; the number taken by the strict and the flexible filter
/// (<see cref="AnswerExtraction"/>) and compared with the reference's.
/// </summary>
public static class MathEvaluator
{
    /// <summary>lm-eval's stop strings for GSM8K: the next question starting, or an end-of-text marker in text form.</summary>
    public static readonly IReadOnlyList<string> Stops = ["Question:", "</s>", "<|im_end|>"];

    /// <summary>In plain text, lm-eval's "Question: ...\nAnswer:"; through a chat template, the question alone.</summary>
    public static string Query(MathProblem p, bool chat) => chat ? p.Question : $"Question: {p.Question}\nAnswer:";

    public static List<MathRequest> Requests(EvalPrompts prompts, IReadOnlyList<MathProblem> problems,
        IReadOnlyList<MathProblem> shotPool, string shotsFile, ShotPlan plan) =>
        Contexts(prompts, problems, shotPool, shotsFile, plan)
            .Select((c, i) => new MathRequest(problems[i],
                new SampleRequest(problems[i].Id, prompts.TokenizePrompt(c))))
            .ToList();

    /// <summary>Each problem's prompt text with its k worked solutions (<see cref="FewShot{T}"/>).</summary>
    public static List<string> Contexts(EvalPrompts prompts, IReadOnlyList<MathProblem> problems,
        IReadOnlyList<MathProblem> shotPool, string shotsFile, ShotPlan plan)
    {
        var shots = new FewShot<MathProblem>(shotPool, shotsFile, plan, _ => null);
        return problems.Select((p, i) =>
        {
            var examples = shots.Pick(i, p).Select(s => new Exchange(Query(s, prompts.Chat), s.Answer)).ToList();
            return prompts.Context("", examples, Query(p, prompts.Chat));
        }).ToList();
    }

    public static void Run(LoadedModel model, BestOfNOptions options, IReadOnlyList<MathRequest> requests, OutputFile outFile,
        Action<double, string?>? progress, CancellationToken ct)
    {
        var sampler = new BestOfNSampler(model, options);
        EvalBlocks.Run(requests, r => r.Problem.Id, SampleFileRunner.BlockSize(sampler.Parallel, 1), outFile, block =>
        {
            var outputs = EvalBlocks.Generate(model, options, block.Select(r => r.Prompt).ToList(), ct);
            return block.Select(r => EvalResults.FormatMath(r.Problem, outputs[r.Problem.Id].Text, outputs[r.Problem.Id].FinishReason)).ToList();
        }, "problems", progress, ct);
    }
}
