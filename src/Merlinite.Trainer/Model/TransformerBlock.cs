using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>One pre-norm block: x += attention(RMSNorm(x)); x += feed_forward(RMSNorm(x)).</summary>
public sealed class TransformerBlock(RmsNorm attentionNorm, Attention attention, RmsNorm feedForwardNorm, IFeedForward feedForward)
{
    public Attention Attention { get; } = attention;
    public IFeedForward FeedForward { get; } = feedForward;

    /// <summary>Every intermediate the block makes is released when it returns (autograd keeps what the backward pass
    /// needs on its own): without this scope TorchSharp would hold them all until the micro-batch ends.</summary>
    public Tensor forward(Tensor x, SequenceContext context)
    {
        using var scope = NewDisposeScope();
        var h = x + Attention.forward(attentionNorm.forward(x), context);
        return (h + FeedForward.forward(feedForwardNorm.forward(h))).MoveToOuterDisposeScope();
    }
}
