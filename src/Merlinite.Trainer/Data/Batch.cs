using static TorchSharp.torch;

namespace Merlinite.Trainer.Data;

/// <summary>
/// A micro-batch as tensors: right-padded token ids [batch, seq], and the flat positions (into batch·seq) whose next
/// token the loss covers, with those next tokens as targets. Padding needs no attention mask: it comes after every
/// real token, so the causal mask already hides it, and no padding position is a loss position.
/// </summary>
public sealed record Batch(Tensor Tokens, Tensor Positions, Tensor Targets, int TokenCount, int LossTokenCount)
{
    private const int PadToken = 0;

    public static Batch Collate(IReadOnlyList<TrainingExample> examples)
    {
        int seq = examples.Max(e => e.Tokens.Length);
        var tokens = new long[examples.Count * seq];
        var positions = new List<long>();
        var targets = new List<long>();
        for (int b = 0; b < examples.Count; b++)
        {
            var ex = examples[b];
            for (int t = 0; t < seq; t++) tokens[b * seq + t] = t < ex.Tokens.Length ? ex.Tokens[t] : PadToken;
            for (int t = 0; t + 1 < ex.Tokens.Length; t++)
                if (ex.Mask[t + 1])
                {
                    positions.Add(b * seq + t);
                    targets.Add(ex.Tokens[t + 1]);
                }
        }
        return new Batch(
            tensor(tokens, [examples.Count, seq]),
            tensor(positions.ToArray()),
            tensor(targets.ToArray()),
            examples.Sum(e => e.Tokens.Length),
            positions.Count);
    }
}
