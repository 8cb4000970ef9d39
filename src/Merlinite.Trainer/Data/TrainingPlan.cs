namespace Merlinite.Trainer.Data;

/// <summary>
/// Which examples each optimizer step sees. An epoch is a seed-driven permutation of the examples cut into steps of
/// batch_size × grad_accum examples (the epoch's last step may be smaller); a step is cut into micro-batches of
/// batch_size. Any step can be computed from its number alone, which is what makes resuming exact.
/// </summary>
public sealed class TrainingPlan
{
    private readonly int _count, _batchSize, _gradAccum, _seed;
    private (int Epoch, int[] Order)? _lastEpoch;

    public TrainingPlan(int exampleCount, int batchSize, int gradAccum, int? epochs, int? maxSteps, int seed)
    {
        _count = exampleCount;
        _batchSize = batchSize;
        _gradAccum = gradAccum;
        _seed = seed;
        StepsPerEpoch = (exampleCount + batchSize * gradAccum - 1) / (batchSize * gradAccum);
        long byEpochs = (long)(epochs ?? 1) * StepsPerEpoch;
        // --max-steps alone runs as many epochs as it takes; with --epochs it is a cap.
        TotalSteps = (int)Math.Min(int.MaxValue, maxSteps is int s ? (epochs is null ? s : Math.Min(s, byEpochs)) : byEpochs);
    }

    public int StepsPerEpoch { get; }
    public int TotalSteps { get; }

    /// <summary>The micro-batches of step <paramref name="step"/> (0-based), as example indices.</summary>
    public IReadOnlyList<int[]> MicroBatches(int step)
    {
        int epoch = step / StepsPerEpoch;
        int first = step % StepsPerEpoch * _batchSize * _gradAccum;
        int last = Math.Min(_count, first + _batchSize * _gradAccum);
        var order = Order(epoch);
        return order[first..last].Chunk(_batchSize).ToList();
    }

    private int[] Order(int epoch)
    {
        if (_lastEpoch is { } cached && cached.Epoch == epoch) return cached.Order;
        var order = Seeds.Permutation(_count, Seeds.Derive(_seed, (long)Seeds.Shuffle, epoch));
        _lastEpoch = (epoch, order);
        return order;
    }
}
