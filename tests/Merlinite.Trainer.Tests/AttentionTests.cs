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

    /// <summary>10× the largest difference measured between fused bf16 and f32 attention on these inputs.</summary>
    private const double BFloat16Bound = 0.12;

    private static double MaxDiff(Tensor fused, Tensor reference) =>
        (fused.to(ScalarType.Float32) - reference).abs().max().item<float>();

    [Fact]
    public void Fused_bf16_causal_attention_matches_the_f32_reference()
    {
        var (q, k, v) = Inputs(24);
        var reference = Attention.Explicit(q, k, v, null);
        var fused = Attention.Attend(q.to(ScalarType.BFloat16), k.to(ScalarType.BFloat16), v.to(ScalarType.BFloat16), null);
        Assert.Equal(ScalarType.BFloat16, fused.dtype);
        // bf16 inputs (8-bit mantissa) against the f32 reference: measured 1.2e-2, the same with ATen's AVX-512, AVX2 and
        // scalar kernels; the bound is 10× that.
        Assert.True(MaxDiff(fused, reference) < BFloat16Bound, $"max |Δ| {MaxDiff(fused, reference)}");
        // A non-causal result differs by far more than bf16 rounding (measured 2.7).
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
        Assert.True(MaxDiff(fused, reference) < BFloat16Bound, $"max |Δ| {MaxDiff(fused, reference)}"); // measured 1.2e-2

        // The second example attends as it would alone: float32 over other lengths (measured at most 3e-7; 1e-5 is 33×).
        var alone = Attention.Explicit(q[.., .., 10.., ..], k[.., .., 10.., ..], v[.., .., 10.., ..], null);
        Assert.True(MaxDiff(reference[.., .., 10.., ..], alone) < 1e-5);
    }
}
