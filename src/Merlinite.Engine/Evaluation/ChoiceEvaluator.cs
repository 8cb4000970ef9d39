using Merlinite.Engine.Data;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Scoring;

namespace Merlinite.Engine.Evaluation;

/// <summary>A question's options tokenized for the scorer, in option order.</summary>
public sealed record ChoiceRequest(ChoiceQuestion Question, IReadOnlyList<ScoreItem> Options);

/// <summary>
/// Multiple choice by log-likelihood, as lm-evaluation-harness computes it: every option's continuation is scored
/// after its context (teacher forcing, log-softmax over the vocabulary, summed over the continuation's tokens);
/// acc = the option with the highest sum is the right one, acc_norm = the highest sum per character of the choice.
/// Options that share a context (all but Winogrande's) share its KV cells: the scorer decodes it once.
/// </summary>
public static class ChoiceEvaluator
{
    /// <summary>Questions per block: a rerun redoes the first unfinished block whole, so its batches (and its
    /// log-probs, to the last bit) are those of an uninterrupted run.</summary>
    private const int BlockQuestions = 32;

    /// <summary>Frames and tokenizes every question with its k examples (<see cref="FewShot{T}"/>).</summary>
    /// <param name="shotsFile">Where <paramref name="shotPool"/> was read from (named when it holds too few).</param>
    public static List<ChoiceRequest> Requests(EvalPrompts prompts, IReadOnlyList<ChoiceQuestion> questions,
        IReadOnlyList<ChoiceQuestion> shotPool, string shotsFile, ShotPlan plan) =>
        Texts(prompts, questions, shotPool, shotsFile, plan).Select((texts, i) => new ChoiceRequest(questions[i],
            texts.Select((t, k) => prompts.Tokenize($"{questions[i].Id}#{k}", t.Context, t.Continuation)).ToList()))
            .ToList();

    /// <summary>Each question's options as (context, continuation) text, before lm-eval's whitespace move.</summary>
    public static List<List<(string Context, string Continuation)>> Texts(EvalPrompts prompts,
        IReadOnlyList<ChoiceQuestion> questions, IReadOnlyList<ChoiceQuestion> shotPool, string shotsFile,
        ShotPlan plan)
    {
        var shots = new FewShot<ChoiceQuestion>(shotPool, shotsFile, plan, s => s.Subject);
        return questions.Select((q, i) =>
        {
            var examples = shots.Pick(i, q).Select(s => new Exchange(s.Options[s.Gold].Query, s.Options[s.Gold].Choice))
                .ToList();
            return q.Options.Select(o =>
                (prompts.Context(q.Description, examples, o.Query), prompts.Continuation(o.Choice))).ToList();
        }).ToList();
    }

    public static void Run(LoadedModel model, ScorerOptions options, IReadOnlyList<ChoiceRequest> requests, OutputFile outFile,
        Action<double, string?>? progress, CancellationToken ct)
    {
        // Questions that share their k-shot examples share those positions too (a wave's first question lends them).
        var scorer = new Scorer(model, options with { SharePrefixes = true });
        EvalBlocks.Run(requests, r => r.Question.Id, BlockQuestions, outFile, block =>
        {
            var results = scorer.Score(block.SelectMany(r => r.Options).ToList(), ct: ct);
            var lines = new List<string>();
            int at = 0;
            foreach (var request in block)
            {
                lines.Add(EvalResults.FormatChoice(request.Question, results.Skip(at).Take(request.Options.Count).ToList()));
                at += request.Options.Count;
            }
            return lines;
        }, "questions", progress, ct);
    }

    /// <summary>The index of the largest value (the first of equal ones, as numpy's argmax).</summary>
    public static int ArgMax(IReadOnlyList<double> values)
    {
        int best = 0;
        for (int i = 1; i < values.Count; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
