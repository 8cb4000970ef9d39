using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>
/// Where each token of a micro-batch sits: its RoPE position and which tokens it may not attend to. A row may hold
/// several packed examples; each starts at position 0 and sees only its own earlier tokens (causal and block-diagonal).
/// </summary>
/// <param name="Positions">[batch, seq] position of each token within its example.</param>
/// <param name="Blocked">[batch, 1, seq, seq], true where query i may not attend to key j.</param>
public sealed record SequenceContext(Tensor Positions, Tensor Blocked)
{
    /// <summary>Rows of one example each (no packing): positions 0..seq-1 and a causal mask.</summary>
    public static SequenceContext Causal(long batch, long seq, Device device)
    {
        var positions = arange(seq, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(batch, seq);
        var blocked = ones(seq, seq, dtype: ScalarType.Bool, device: device).triu(diagonal: 1).view(1, 1, seq, seq);
        return new SequenceContext(positions, blocked);
    }

    /// <summary>From per-token segment ids [batch, seq] (one id per packed example; padding its own id) and positions.</summary>
    public static SequenceContext Packed(Tensor segments, Tensor positions)
    {
        long seq = segments.shape[1];
        var future = ones(seq, seq, dtype: ScalarType.Bool, device: segments.device).triu(diagonal: 1);
        var otherExample = segments.unsqueeze(2).ne(segments.unsqueeze(1));  // [batch, seq, seq]
        return new SequenceContext(positions, (otherExample | future).unsqueeze(1));
    }
}
