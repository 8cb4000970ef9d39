using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>The second half of a block: a dense SwiGLU MLP or a sparse mixture of SwiGLU experts.</summary>
public interface IFeedForward
{
    /// <summary>x is [batch, seq, n_embd]; so is the result.</summary>
    Tensor forward(Tensor x);
}
