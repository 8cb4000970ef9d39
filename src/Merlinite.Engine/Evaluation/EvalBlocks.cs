using Merlinite.Engine.Data;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Sampling;

namespace Merlinite.Engine.Evaluation;

/// <summary>
/// Runs an eval's items in fixed blocks into a resumable per-item JSONL file (in input order; the final name only when
/// all are done). Each block starts from an empty KV cache and a rerun redoes the first unfinished block whole, so it
/// batches exactly as an uninterrupted run did and its lines are byte-identical to that run's.
/// </summary>
internal static class EvalBlocks
{
    /// <param name="evaluate">A block's items in, one output line per item out (same order).</param>
    public static void Run<T>(IReadOnlyList<T> items, Func<T, string> id, int blockSize, OutputFile outFile,
        Func<IReadOnlyList<T>, IReadOnlyList<string>> evaluate, string unit, Action<double, string?>? progress, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int doneAtStart = -1;
        BlockRun.Run(items, id, blockSize, outFile, (block, write) =>
        {
            var lines = evaluate(block);
            for (int k = 0; k < block.Count; k++) write(k, lines[k]);
        }, done =>
        {
            if (doneAtStart < 0) doneAtStart = done;
            double rate = (done - doneAtStart) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
            progress?.Invoke(items.Count == 0 ? 1 : (double)done / items.Count,
                done == doneAtStart ? $"{done}/{items.Count} {unit}" : $"{done}/{items.Count} {unit}, {rate:F1}/s");
        }, ct);
    }

    /// <summary>One sample per request (greedy at temperature 0), by id.</summary>
    public static Dictionary<string, SampleOutput> Generate(LoadedModel model, BestOfNOptions options, IReadOnlyList<SampleRequest> requests, CancellationToken ct)
    {
        var outputs = new Dictionary<string, SampleOutput>(StringComparer.Ordinal);
        if (requests.Count == 0) return outputs;
        new BestOfNSampler(model, options).Run(requests, r => outputs[r.Request.Id] = r.Samples[0], null, ct);
        return outputs;
    }
}
