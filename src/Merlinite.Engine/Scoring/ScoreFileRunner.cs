using Merlinite.Engine.Data;
using Merlinite.Engine.Models;

namespace Merlinite.Engine.Scoring;

public readonly record struct ScoreProgress(int Done, int Total, long Tokens, TimeSpan Elapsed)
{
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? Tokens / Elapsed.TotalSeconds : 0;
}

/// <summary>Scores items into a resumable JSONL file: ids already in the output are skipped, lines appear in input order.</summary>
public static class ScoreFileRunner
{
    /// <summary>Items per Score call: big enough to fill the batch, small enough that a kill loses little work.</summary>
    private const int ChunkItems = 64;

    public static void Run(LoadedModel model, ScorerOptions options, IReadOnlyList<ScoreItem> items, string outPath,
        bool withTokens, Action<ScoreProgress>? progress, CancellationToken ct)
    {
        using var output = new ResumableJsonl(outPath);
        var todo = items.Where(i => !output.DoneIds.Contains(i.Id)).ToList();
        int done = items.Count - todo.Count;
        long tokens = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var scorer = new Scorer(model, options);
        progress?.Invoke(new ScoreProgress(done, items.Count, 0, clock.Elapsed));
        foreach (var chunk in todo.Chunk(ChunkItems))
        {
            ct.ThrowIfCancellationRequested();
            scorer.Score(chunk, r =>
            {
                output.Append(r.Id, ScoreJson.Format(r, model.Vocab, withTokens));
                done++;
                tokens += r.Count;
                progress?.Invoke(new ScoreProgress(done, items.Count, tokens, clock.Elapsed));
            }, ct);
        }
        output.Complete();
    }
}
