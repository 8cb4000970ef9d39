using Merlinite.Engine.Outputs;

namespace Merlinite.Engine.Data;

/// <summary>
/// Runs items in fixed blocks into a resumable JSONL file, one line per item in input order; the file gets its final
/// name only when every item is done. Each block starts from an empty KV cache, and a rerun redoes the first unfinished
/// block whole (writing only the lines not yet there), so every decode it does has the same inputs, batch shapes and
/// KV cell layout as in an uninterrupted run, and its lines are byte-identical to that run's. (Without the blocks a
/// resumed run would batch differently: with F16 weights that moves logits by ~5e-3, docs/benchmarks.md.) The one
/// block-resume loop of sample, score/reward and eval.
/// </summary>
public static class BlockRun
{
    /// <param name="runBlock">Runs one block: it hands each item of the block (its index in the block) and its line
    /// to the writer, in order, as soon as it has them.</param>
    /// <param name="written">Called with the lines done so far: once before the first block, then after each
    /// line.</param>
    public static void Run<T>(IReadOnlyList<T> items, Func<T, string> id, int blockSize, OutputFile outFile,
        Action<IReadOnlyList<T>, Action<int, string>> runBlock, Action<int>? written, CancellationToken ct)
    {
        using var output = new ResumableJsonl(outFile);
        int done = items.Count(i => output.DoneIds.Contains(id(i)));
        written?.Invoke(done);
        foreach (var block in items.Chunk(blockSize))
        {
            if (block.All(i => output.DoneIds.Contains(id(i)))) continue;
            ct.ThrowIfCancellationRequested();
            runBlock(block, (k, line) =>
            {
                if (output.DoneIds.Contains(id(block[k]))) return;
                output.Append(id(block[k]), line);
                written?.Invoke(++done);
            });
        }
        output.Complete();
    }
}
