using static TorchSharp.torch;

namespace Merlinite.Trainer.Training;

/// <summary>
/// AdamW as torch.optim.AdamW (amsgrad off): decoupled weight decay p ← p·(1 − lr·wd), then the bias-corrected
/// Adam update. Written out here so that its whole state (the moments <see cref="M"/> and <see cref="V"/>) is ours to
/// checkpoint and restore bit for bit. One difference: √v is taken as 1/rsqrt(v). libtorch's CPU sqrt goes through
/// MKL's vector math, which is not correctly rounded and rounds differently per CPU (measured: 18 % of values one ulp
/// off here, other bytes again on an emulated AVX2-only CPU); rsqrt and reciprocal are IEEE square root and division,
/// the same on every CPU. The two differ by an ulp or two of √v, far below what AdamW's eps already changes.
/// </summary>
public sealed class AdamW
{
    private readonly IReadOnlyList<Tensor> _parameters;
    private readonly double _beta1, _beta2, _eps, _weightDecay;

    public AdamW(IReadOnlyList<Tensor> parameters, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        _parameters = parameters;
        _weightDecay = weightDecay;
        _beta1 = beta1;
        _beta2 = beta2;
        _eps = eps;
        M = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        V = parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>First moments, one per parameter.</summary>
    public IReadOnlyList<Tensor> M { get; }
    /// <summary>Second moments, one per parameter.</summary>
    public IReadOnlyList<Tensor> V { get; }

    /// <summary>One update with learning rate <paramref name="lr"/>; <paramref name="t"/> is the 1-based step number (bias correction).</summary>
    public void Step(double lr, int t)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        double correction1 = 1 - Math.Pow(_beta1, t);
        double sqrtCorrection2 = Math.Sqrt(1 - Math.Pow(_beta2, t));
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            var g = p.grad;
            if (g is null) continue;
            if (_weightDecay != 0) p.mul_(1 - lr * _weightDecay);
            M[i].mul_(_beta1).add_(g, alpha: 1 - _beta1);
            V[i].mul_(_beta2).addcmul_(g, g, value: 1 - _beta2);
            var denominator = (V[i].rsqrt().reciprocal_() / sqrtCorrection2).add_(_eps); // √v, see above
            p.addcdiv_(M[i], denominator, value: -lr / correction1);
        }
    }

    public void ZeroGrad()
    {
        using var scope = NewDisposeScope();
        foreach (var p in _parameters) p.grad?.zero_();
    }
}
