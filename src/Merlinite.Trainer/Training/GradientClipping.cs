using static TorchSharp.torch;

namespace Merlinite.Trainer.Training;

public static class GradientClipping
{
    /// <summary>
    /// torch.nn.utils.clip_grad_norm_: scales every gradient by max / (norm + 1e-6) when the global L2 norm exceeds
    /// <paramref name="maxNorm"/> (0: never). Returns the norm before clipping.
    /// </summary>
    public static double ClipGlobalNorm(IReadOnlyList<Tensor> parameters, double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0) return 0;
        // One device-to-host copy for all the per-tensor sums (one .item() each would stall a GPU once per tensor),
        // then the same float64 sum in the same order as before.
        var sums = stack(grads.Select(g => g.pow(2).sum()).ToList()).cpu().data<float>().ToArray();
        double norm = Math.Sqrt(sums.Sum(x => x * 1.0));
        if (maxNorm > 0 && norm > maxNorm)
        {
            double coefficient = maxNorm / (norm + 1e-6);
            foreach (var g in grads) g.mul_(coefficient);
        }
        return norm;
    }
}
