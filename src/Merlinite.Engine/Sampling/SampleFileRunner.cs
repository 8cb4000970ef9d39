using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;

namespace Merlinite.Engine.Sampling;

/// <summary>
/// Samples a prompt file into a resumable JSONL file, one line per prompt in input order; the file gets its final
/// name only when every prompt is done.
/// <para>
/// Prompts run in fixed blocks, each started from an empty KV cache. Continuous batching fills the batch within a
/// block; a resumed run restarts the first unfinished block from scratch, so every decode it does has the same inputs,
/// batch shapes and KV cell layout as in an uninterrupted run, and its output is byte-identical. (Only the lines not
/// yet in the file are written.) Without the blocks a resumed run would batch differently, and with F16 weights that
/// moves logits by ~5e-3 (docs/benchmarks.md).
/// </para>
/// </summary>
public static class SampleFileRunner
{
    /// <summary>Prompts per block: enough to keep <paramref name="parallel"/> sequences busy most of the block.</summary>
    public static int BlockSize(int parallel, int n) => Math.Max(64, 4 * ((parallel + n - 1) / n));

    /// <summary>The prompts of <paramref name="items"/> rendered and tokenized (with the model or only its tokenizer).</summary>
    public static List<SampleRequest> Requests(LoadedModel tokenizer, IReadOnlyList<PromptItem> items, ChatTemplate template)
    {
        var renderer = new PromptRenderer(tokenizer, template);
        return items.Select(i => new SampleRequest(i.Id, tokenizer.TokenizePrompt(renderer.Render(i.Messages)))).ToList();
    }

    /// <summary>Samples into <paramref name="outFile"/> (already prepared); returns the tokens generated.
    /// <paramref name="requests"/> are <paramref name="items"/> as <see cref="Requests"/> made them.</summary>
    public static long Run(LoadedModel model, BestOfNOptions options, IReadOnlyList<PromptItem> items, IReadOnlyList<SampleRequest> requests,
        OutputFile outFile, Action<SampleProgress>? progress, CancellationToken ct, Jobs.Shard? shard = null)
    {
        var sampler = new BestOfNSampler(model, options);
        int blockSize = BlockSize(sampler.Parallel, options.N);
        if (shard is not null) (items, requests) = (shard.Slice(items, blockSize), shard.Slice(requests, blockSize));
        foreach (var r in requests)
            if (sampler.CheckFits(r) is { } error) throw new Settings.SettingException("context", $"prompt '{r.Id}': {error}");

        int done = 0;
        long tokensBefore = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Data.BlockRun.Run(Enumerable.Range(0, requests.Count).ToList(), i => requests[i].Id, blockSize, outFile,
            (block, write) =>
            {
                long blockTokens = 0;
                int k = 0; // the sampler hands the prompts back in input order
                sampler.Run(block.Select(i => requests[i]).ToList(),
                    result => { write(k, SampleFile.Format(items[block[k]], result)); k++; },
                    p =>
                    {
                        blockTokens = p.Tokens;
                        progress?.Invoke(new SampleProgress(done, requests.Count, tokensBefore + p.Tokens, p.Live,
                            clock.Elapsed));
                    }, ct);
                tokensBefore += blockTokens;
            }, n => done = n, ct);
        return tokensBefore;
    }
}
