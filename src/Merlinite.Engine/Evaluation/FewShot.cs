using Merlinite.Engine.Data;

namespace Merlinite.Engine.Evaluation;

/// <summary>How worked examples are chosen from the shots file.</summary>
public enum ShotSampler
{
    /// <summary>The first k rows in file order (of the question's subject when it has one): lm-eval's
    /// first_n.</summary>
    FirstN,
    /// <summary>lm-eval's own choice per task: first_n for MMLU (its yaml says so), for the others its default
    /// sampler, <c>random.Random(1234).sample</c> drawn afresh for every question in data order.</summary>
    LmEval,
}

public static class ShotSamplers
{
    public static readonly IReadOnlyList<(string Name, ShotSampler Sampler)> All =
        [("first_n", ShotSampler.FirstN), ("lm_eval", ShotSampler.LmEval)];

    public static string Name(this ShotSampler sampler) => All.First(s => s.Sampler == sampler).Name;

    public static ShotSampler Parse(string name) => All.FirstOrDefault(s => s.Name == name) is { Name: not null } hit
        ? hit.Sampler
        : throw new FormatException(
            $"'{name}' is not a few-shot sampler ({string.Join(", ", All.Select(s => s.Name))})");
}

/// <summary>
/// What lm-eval's sampler needs to pick a task's examples: k, the sampler, whether the shots come from the data file
/// itself (then, and only then, the question is left out of its own examples: a shots file is another split, and a
/// row of it that happens to share a line number or an id with the question is a different row), and whether
/// lm-eval draws k + 1 (it does when the task's few-shot split equals its test split; HellaSwag and WinoGrande name
/// neither, so for them it always does, and the draw count moves the random stream of every later question).
/// </summary>
public sealed record ShotPlan(int Shots, ShotSampler Sampler, bool PoolIsData, bool DrawsExtra)
{
    public static ShotPlan For(EvalKind kind, int shots, ShotSampler sampler, bool poolIsData) =>
        new(shots, kind == EvalKind.Mmlu ? ShotSampler.FirstN : sampler, poolIsData,
            poolIsData || kind is EvalKind.Hellaswag or EvalKind.Winogrande);

    /// <summary>lm-eval's sampler seed (its fewshot_random_seed default).</summary>
    public const int Seed = 1234;
}

/// <summary>Picks the k worked examples of each question; call <see cref="Pick"/> for the questions in data order
/// (lm-eval's random sampler is one stream per task, so a question's examples depend on those drawn before it).
/// Questions with a subject take examples of that subject only, each subject its own stream (each MMLU subject is
/// a task of its own in lm-eval).</summary>
public sealed class FewShot<T>(IReadOnlyList<T> pool, string poolFile, ShotPlan plan, Func<T, string?> subject)
{
    private readonly Dictionary<string, PythonRandom> _streams = [];

    /// <param name="index">The question's row in the data file (its row in the pool when the pool is the data).</param>
    public IReadOnlyList<T> Pick(int index, T question)
    {
        int k = plan.Shots;
        if (k == 0) return [];
        string? want = subject(question);
        var rows = Enumerable.Range(0, pool.Count).Where(i => want is null || subject(pool[i]) == want).ToList();
        int draw = Math.Min(plan.DrawsExtra ? k + 1 : k, rows.Count);
        var drawn = plan.Sampler == ShotSampler.FirstN ? rows.Take(draw) : Stream(want).Sample(rows, draw);
        var picked = drawn.Where(i => !(plan.PoolIsData && i == index)).Take(k).Select(i => pool[i]).ToList();
        if (picked.Count < k)
            throw new InputFormatException($"{Path.GetFullPath(poolFile)}: {k}-shot needs {k} examples" +
                $"{(want is null ? "" : $" of subject '{want}'")} but the shots file has {picked.Count}" +
                $"{(plan.PoolIsData ? " besides the question" : "")}" +
                " (give a shots file with more, or ask for fewer shots)");
        return picked;
    }

    private PythonRandom Stream(string? subject)
    {
        string key = subject ?? "";
        if (!_streams.TryGetValue(key, out var r)) _streams[key] = r = new PythonRandom(ShotPlan.Seed);
        return r;
    }
}
