using Merlinite.Engine.Chat;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.DataGeneration;

/// <summary>Data generation settings: one type, one default and one check each, for `merlinite generate-data` and a
/// recipe's lab section alike.</summary>
public sealed record GenerateSettings
{
    /// <summary>Candidate questions drawn per leaf (before de-duplication and the filters).</summary>
    public int QuestionsPerLeaf { get; init; } = 64;

    /// <summary>Seed examples shown in each question-writing prompt (rotating through the leaf's seeds, so every prompt
    /// shows another mix).</summary>
    public int SeedsPerPrompt { get; init; } = 3;

    /// <summary>How the teacher writes questions: N samples per prompt decode as one best-of-N batch (the prompt is
    /// decoded once), sampled warm for variety. Answers and checks reuse the template, runtime and parallelism, greedy.</summary>
    public SampleSettings Teacher { get; init; } = new()
    {
        N = 8, Parallel = 16, Sampling = new SamplingOptions { Temperature = 0.9f, TopK = 0, TopP = 1.0f, MinP = 0, MaxTokens = 128 },
    };

    /// <summary>Tokens of a generated answer.</summary>
    public int AnswerTokens { get; init; } = 512;

    /// <summary>Tokens of a check's reply (room for a short reason before the [[rating]]).</summary>
    public int CheckTokens { get; init; } = 128;

    /// <summary>A question is kept when the teacher rates it at least this (1–10).</summary>
    public double MinQuestionRating { get; init; } = 7;

    /// <summary>A question and its answer are kept when the teacher rates the pair at least this (1–10); 1 keeps every
    /// rated pair (for a teacher that is no judge, as the tiny world's).</summary>
    public double MinPairRating { get; init; } = 7;

    /// <summary>Words per document chunk at most (InstructLab's SDG uses about 1000); chunks are also cut to fit the
    /// teacher's context with the prompt and its reply.</summary>
    public int ChunkWords { get; init; } = 1000;

    public GenerationPrompts Prompts { get; init; } = new();

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return Require.Between("questions", QuestionsPerLeaf, 1, 1_000_000);
        yield return Require.Between("seeds_per_prompt", SeedsPerPrompt, 1, 100);
        yield return Require.Between("answer_tokens", AnswerTokens, 1, 1_000_000);
        yield return Require.Between("check_tokens", CheckTokens, 1, 1_000_000);
        yield return Require.InRange("min_question_rating", MinQuestionRating, 1, 10, minInclusive: true, maxInclusive: true);
        yield return Require.InRange("min_pair_rating", MinPairRating, 1, 10, minInclusive: true, maxInclusive: true);
        yield return Require.Between("chunk_words", ChunkWords, 10, 1_000_000);
        foreach (var p in Teacher.Problems()) yield return p;
        foreach (var p in Prompts.Problems()) yield return p;
    }

    /// <summary>Everything here that changes what a leaf's data are (parallel too: as for `sample`, batch shapes move
    /// the logits slightly; threads do not).</summary>
    public Fingerprint AddTo(Fingerprint f)
    {
        f.Add("questions", QuestionsPerLeaf).Add("seeds_per_prompt", SeedsPerPrompt).Add("n", Teacher.N).Add("parallel", Teacher.Parallel);
        Teacher.Sampling.AddTo(f);
        f.Add("template", Teacher.Template.Name()).Add("system", Teacher.Template.SystemPrompt(Teacher.System)).AddRuntime(Teacher.Runtime)
            .Add("answer_tokens", AnswerTokens).Add("check_tokens", CheckTokens).Add("min_question_rating", MinQuestionRating).Add("min_pair_rating", MinPairRating).Add("chunk_words", ChunkWords);
        Prompts.AddTo(f);
        return f;
    }

    /// <summary>The greedy settings of the answers and checks: one reply per prompt, the same teacher runtime.</summary>
    public SampleSettings Greedy(int maxTokens) => Teacher with
    {
        N = 1, Sampling = Teacher.Sampling with { Temperature = 0, MaxTokens = maxTokens },
    };
}
