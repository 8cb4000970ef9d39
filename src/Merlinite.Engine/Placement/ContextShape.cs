using Merlinite.Engine.Models;

namespace Merlinite.Engine.Placement;

/// <summary>The context a job creates over its model, as far as memory depends on it: KV cells (all sequences
/// together), sequences, one KV buffer for all of them or one each, the micro-batch, the cache type, and the most
/// logits rows one decode returns (a sampler one per sequence, scoring every token of a batch).</summary>
public sealed record ContextShape(
    int Cells, int Sequences, bool Unified, int MicroBatch, bool FastAttention, int Outputs = 1)
{
    /// <summary>The context <see cref="LoadedModel.Load"/> creates for <paramref name="options"/>; a context of 0
    /// (the model's own) is taken as <paramref name="trainedContext"/>.</summary>
    public static ContextShape Of(ModelLoadOptions options, int trainedContext, int outputs = 1) => new(
        options.Runtime.Context > 0 ? options.Runtime.Context : trainedContext, options.Sequences,
        options.Sequences > 1 && !options.KvPerSequence, LoadedModel.MicroBatch(options), options.Runtime.FastAttention,
        outputs);
}
