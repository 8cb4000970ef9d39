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
        using var output = new ResumableJsonl(outFile);
        int done = items.Count(i => output.DoneIds.Contains(id(i)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int doneAtStart = done;
        progress?.Invoke(items.Count == 0 ? 1 : (double)done / items.Count, $"{done}/{items.Count} {unit}");
        foreach (var block in items.Chunk(blockSize))
        {
            if (block.All(i => output.DoneIds.Contains(id(i)))) continue;
            ct.ThrowIfCancellationRequested();
            var lines = evaluate(block);
            for (int k = 0; k < block.Length; k++)
            {
                if (output.DoneIds.Contains(id(block[k]))) continue;
                output.Append(id(block[k]), lines[k]);
                done++;
            }
            double rate = (done - doneAtStart) / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
            progress?.Invoke((double)done / items.Count, $"{done}/{items.Count} {unit}, {rate:F1}/s");
        }
        output.Complete();
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
