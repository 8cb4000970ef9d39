using Merlinite.Engine.Data;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;

namespace Merlinite.Engine.Scoring;

public readonly record struct ScoreProgress(int Done, int Total, long Tokens, TimeSpan Elapsed)
{
    public double TokensPerSecond => Elapsed.TotalSeconds > 0 ? Tokens / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Scores items into a resumable JSONL file: lines appear in input order and the file gets its final name when all are
/// done. Items are scored in fixed blocks, each from an empty KV cache; a rerun redoes the first unfinished block whole
/// (writing only the lines not yet there), so it batches exactly as an uninterrupted run did and every line is
/// byte-identical to that run's. (Log-probs move by ~1e-6 with the batch an item is scored in.)
/// </summary>
public static class ScoreFileRunner
{
    /// <summary>Items per block: big enough to fill the batch, small enough that a kill loses little work.</summary>
    public const int BlockItems = 64;

    public static void Run(LoadedModel model, ScorerOptions options, IReadOnlyList<ScoreItem> items, OutputFile outFile,
        bool withTokens, Action<ScoreProgress>? progress, CancellationToken ct)
    {
        using var output = new ResumableJsonl(outFile);
        int done = items.Count(i => output.DoneIds.Contains(i.Id));
        long tokens = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var scorer = new Scorer(model, options);
        progress?.Invoke(new ScoreProgress(done, items.Count, 0, clock.Elapsed));
        foreach (var block in items.Chunk(BlockItems))
        {
            if (block.All(i => output.DoneIds.Contains(i.Id))) continue;
            ct.ThrowIfCancellationRequested();
            scorer.Score(block, r =>
            {
                if (output.DoneIds.Contains(r.Id)) return;
                output.Append(r.Id, ScoreJson.Format(r, model.Vocab, withTokens));
                done++;
                tokens += r.Count;
                progress?.Invoke(new ScoreProgress(done, items.Count, tokens, clock.Elapsed));
            }, ct);
        }
        output.Complete();
    }
}
