using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>
/// Where each token of a micro-batch sits: its RoPE position and which tokens it may attend to. A row may hold several
/// packed examples; each starts at position 0 and sees only its own earlier tokens (causal and block-diagonal).
/// </summary>
/// <param name="Positions">[batch, seq] position of each token within its example.</param>
/// <param name="Allowed">[batch, 1, seq, seq], true where query i may attend to key j; null for plain causal rows
/// (one example per row), which lets attention run its fused causal kernels without a mask tensor.</param>
public sealed record SequenceContext(Tensor Positions, Tensor? Allowed)
{
    /// <summary>Rows of one example each (no packing): positions 0..seq-1, causal.</summary>
    public static SequenceContext Causal(long batch, long seq, Device device) =>
        new(arange(seq, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(batch, seq), null);

    /// <summary>From per-token segment ids [batch, seq] (one id per packed example; padding its own id) and positions.</summary>
    public static SequenceContext Packed(Tensor segments, Tensor positions)
    {
        long seq = segments.shape[1];
        var pastOrSelf = ones(seq, seq, dtype: ScalarType.Bool, device: segments.device).tril();
        var sameExample = segments.unsqueeze(2).eq(segments.unsqueeze(1));  // [batch, seq, seq]
        return new SequenceContext(positions, (sameExample & pastOrSelf).unsqueeze(1));
    }
}
