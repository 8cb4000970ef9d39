namespace Merlinite.Engine.Evaluation;

/// <summary>The benchmark layouts `merlinite eval` reads, and how each is scored.</summary>
public enum EvalKind
{
    /// <summary>MMLU rows {question, choices[], answer: index, subject}: log-likelihood of " A".." D".</summary>
    Mmlu,
    /// <summary>ARC rows {question, choices: {text[], label[]}, answerKey}: log-likelihood of each answer text.</summary>
    Arc,
    /// <summary>HellaSwag rows {activity_label, ctx_a, ctx_b, endings[], label}: log-likelihood of each ending.</summary>
    Hellaswag,
    /// <summary>Winogrande rows {sentence with "_", option1, option2, answer: "1"|"2"}: partial scoring.</summary>
    Winogrande,
    /// <summary>Any multiple-choice data, rows {question, choices[], answer: index}: the question as the context.</summary>
    MultipleChoice,
    /// <summary>GSM8K rows {question, answer: "... #### 42"}: greedy generation, the number extracted.</summary>
    Gsm8k,
    /// <summary>FastChat's MT-Bench question file {question_id, category, turns[], reference?[]}: the policy answers
    /// every turn, a judge model rates each answer 1-10.</summary>
    MtBench,
}

public static class EvalKinds
{
    public static readonly (string Name, EvalKind Kind)[] All =
    [
        ("mmlu", EvalKind.Mmlu), ("arc", EvalKind.Arc), ("hellaswag", EvalKind.Hellaswag), ("winogrande", EvalKind.Winogrande),
        ("multiple_choice", EvalKind.MultipleChoice), ("gsm8k", EvalKind.Gsm8k), ("mt_bench", EvalKind.MtBench),
    ];

    public static string Name(this EvalKind kind) => All.First(k => k.Kind == kind).Name;

    public static EvalKind Parse(string name) => All.FirstOrDefault(k => k.Name == name) is { Name: not null } hit
        ? hit.Kind
        : throw new FormatException($"'{name}' is not an eval kind ({string.Join(", ", All.Select(k => k.Name))})");

    public static bool IsMultipleChoice(this EvalKind kind) => kind is EvalKind.Mmlu or EvalKind.Arc or EvalKind.Hellaswag
        or EvalKind.Winogrande or EvalKind.MultipleChoice;

    /// <summary>The metrics a kind reports. acc_norm divides by the choice's length in characters, which says nothing
    /// when every option shares one continuation (Winogrande).</summary>
    public static IReadOnlyList<string> Metrics(this EvalKind kind) => kind switch
    {
        EvalKind.Winogrande => ["acc"],
        EvalKind.Gsm8k => ["strict", "flexible"],
        EvalKind.MtBench => ["score"],
        _ => ["acc", "acc_norm"],
    };

    /// <summary>The headline metric, as the Open LLM Leaderboard and the seed's card report them: acc_norm for ARC and
    /// HellaSwag, the strict match for GSM8K, the mean rating for MT-Bench, acc otherwise.</summary>
    public static string DefaultMetric(this EvalKind kind) => kind switch
    {
        EvalKind.Arc or EvalKind.Hellaswag => "acc_norm",
        EvalKind.Gsm8k => "strict",
        EvalKind.MtBench => "score",
        _ => "acc",
    };

    /// <summary>New tokens per answer: lm-eval's 256 for GSM8K, FastChat's 1024 for MT-Bench.</summary>
    public static int DefaultMaxTokens(this EvalKind kind) => kind == EvalKind.MtBench ? 1024 : 256;
}
