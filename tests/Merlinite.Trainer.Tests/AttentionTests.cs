using Merlinite.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Tests;

/// <summary>
/// bf16/f16 attention runs through PyTorch's fused scaled_dot_product_attention; f32 through the spelled-out reference.
/// The two must agree on what a token may see: the causal rows (no mask tensor) and packed rows (a mask where true
/// means "may attend", the opposite of masked_fill's convention).
/// </summary>
public class AttentionTests
{
    private static (Tensor Q, Tensor K, Tensor V) Inputs(long seq)
    {
        using var g = new Generator(7);
        return (randn([2, 4, seq, 16], generator: g), randn([2, 4, seq, 16], generator: g), randn([2, 4, seq, 16], generator: g));
    }

    private static double MaxDiff(Tensor fused, Tensor reference) =>
        (fused.to(ScalarType.Float32) - reference).abs().max().item<float>();

    [Fact]
    public void Fused_bf16_causal_attention_matches_the_f32_reference()
    {
        var (q, k, v) = Inputs(24);
        var reference = Attention.Explicit(q, k, v, null);
        var fused = Attention.Attend(q.to(ScalarType.BFloat16), k.to(ScalarType.BFloat16), v.to(ScalarType.BFloat16), null);
        Assert.Equal(ScalarType.BFloat16, fused.dtype);
        Assert.True(MaxDiff(fused, reference) < 0.05, $"max |Δ| {MaxDiff(fused, reference)}");
        // A non-causal result would differ by far more than bf16 rounding.
        var everything = Attention.Explicit(q, k, v, ones(24, 24, dtype: ScalarType.Bool));
        Assert.True(MaxDiff(fused, everything) > 0.3);
    }

    [Fact]
    public void Fused_bf16_packed_attention_matches_the_f32_reference_and_keeps_examples_apart()
    {
        // Two packed examples per row: tokens 0-9 and 10-23 (positions restart, segments differ).
        var segments = cat([zeros(2, 10, dtype: ScalarType.Int64), ones(2, 14, dtype: ScalarType.Int64)], 1);
        var positions = cat([arange(10, dtype: ScalarType.Int64), arange(14, dtype: ScalarType.Int64)]).unsqueeze(0).expand(2, 24);
        var context = SequenceContext.Packed(segments, positions);
        var (q, k, v) = Inputs(24);
        var reference = Attention.Explicit(q, k, v, context.Allowed);
        var fused = Attention.Attend(q.to(ScalarType.BFloat16), k.to(ScalarType.BFloat16), v.to(ScalarType.BFloat16), context.Allowed);
        Assert.True(MaxDiff(fused, reference) < 0.05, $"max |Δ| {MaxDiff(fused, reference)}");

        // The second example attends exactly as it would alone.
        var alone = Attention.Explicit(q[.., .., 10.., ..], k[.., .., 10.., ..], v[.., .., 10.., ..], null);
        Assert.True(MaxDiff(reference[.., .., 10.., ..], alone) < 1e-5);
    }
}
