using Merlinite.Trainer.Model;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Data;

/// <summary>
/// A micro-batch as tensors on the training device: token ids [rows, seq], where each token sits and what it may attend
/// to (<see cref="SequenceContext"/>), and the flat positions (into rows·seq) whose next token the loss covers, with
/// those next tokens as targets.
/// </summary>
public sealed record Batch(Tensor Tokens, SequenceContext Context, Tensor Positions, Tensor Targets, int TokenCount, int LossTokenCount)
{
    private const int PadToken = 0;

    /// <summary>One example per row, right-padded. Padding needs no mask of its own: it comes after every real token, so
    /// the causal mask already hides it, and no padding position is a loss position.</summary>
    public static Batch Collate(IReadOnlyList<TrainingExample> examples, Device device)
    {
        int seq = examples.Max(e => e.Tokens.Length);
        var tokens = new long[examples.Count * seq];
        var positions = new List<long>();
        var targets = new List<long>();
        for (int b = 0; b < examples.Count; b++)
        {
            var ex = examples[b];
            for (int t = 0; t < seq; t++) tokens[b * seq + t] = t < ex.Tokens.Length ? ex.Tokens[t] : PadToken;
            AddLossPositions(ex, b * seq, positions, targets);
        }
        return new Batch(tensor(tokens, [examples.Count, seq]).to(device), SequenceContext.Causal(examples.Count, seq, device),
            tensor(positions.ToArray()).to(device), tensor(targets.ToArray()).to(device), examples.Sum(e => e.Tokens.Length), positions.Count);
    }

    /// <summary>The examples packed end to end into one row with no padding: each starts again at RoPE position 0 and
    /// attends only to its own earlier tokens, so the loss is the one the examples would have one per row.</summary>
    public static Batch Pack(IReadOnlyList<TrainingExample> examples, Device device)
    {
        int seq = examples.Sum(e => e.Tokens.Length);
        var tokens = new long[seq];
        var ropePositions = new long[seq];
        var segments = new long[seq];
        var positions = new List<long>();
        var targets = new List<long>();
        int offset = 0;
        for (int s = 0; s < examples.Count; s++)
        {
            var ex = examples[s];
            for (int t = 0; t < ex.Tokens.Length; t++)
            {
                tokens[offset + t] = ex.Tokens[t];
                ropePositions[offset + t] = t;
                segments[offset + t] = s;
            }
            AddLossPositions(ex, offset, positions, targets);
            offset += ex.Tokens.Length;
        }
        var context = SequenceContext.Packed(tensor(segments, [1, seq]).to(device), tensor(ropePositions, [1, seq]).to(device));
        return new Batch(tensor(tokens, [1, seq]).to(device), context, tensor(positions.ToArray()).to(device),
            tensor(targets.ToArray()).to(device), seq, positions.Count);
    }

    /// <summary>Micro-batches of at most <paramref name="maxTokens"/> tokens each, examples in order (an example longer
    /// than the budget goes alone).</summary>
    public static List<int[]> ByTokenBudget(IEnumerable<int> indices, IReadOnlyList<TrainingExample> data, int maxTokens)
    {
        var groups = new List<int[]>();
        var current = new List<int>();
        int tokens = 0;
        foreach (int i in indices)
        {
            int length = data[i].Tokens.Length;
            if (current.Count > 0 && tokens + length > maxTokens)
            {
                groups.Add([.. current]);
                current.Clear();
                tokens = 0;
            }
            current.Add(i);
            tokens += length;
        }
        if (current.Count > 0) groups.Add([.. current]);
        return groups;
    }

    private static void AddLossPositions(TrainingExample ex, int offset, List<long> positions, List<long> targets)
    {
        for (int t = 0; t + 1 < ex.Tokens.Length; t++)
            if (ex.Mask[t + 1])
            {
                positions.Add(offset + t);
                targets.Add(ex.Tokens[t + 1]);
            }
    }
}
