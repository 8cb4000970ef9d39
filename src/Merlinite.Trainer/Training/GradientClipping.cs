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
        double norm = Math.Sqrt(grads.Sum(g => g.pow(2).sum().item<float>() * 1.0));
        if (maxNorm > 0 && norm > maxNorm)
        {
            double coefficient = maxNorm / (norm + 1e-6);
            foreach (var g in grads) g.mul_(coefficient);
        }
        return norm;
    }
}
