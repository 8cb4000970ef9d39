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
        int done = 0;
        long tokens = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var scorer = new Scorer(model, options);
        BlockRun.Run(items, i => i.Id, BlockItems, outFile, (block, write) =>
        {
            int k = 0; // results come in input order
            scorer.Score(block, r =>
            {
                tokens += r.Count;
                write(k++, ScoreJson.Format(r, model.Vocab, withTokens));
            }, ct);
        }, n =>
        {
            done = n;
            progress?.Invoke(new ScoreProgress(done, items.Count, tokens, clock.Elapsed));
        }, ct);
    }
}
