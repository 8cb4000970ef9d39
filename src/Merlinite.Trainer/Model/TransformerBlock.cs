using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>One pre-norm block: x += attention(RMSNorm(x)); x += feed_forward(RMSNorm(x)).</summary>
public sealed class TransformerBlock(RmsNorm attentionNorm, Attention attention, RmsNorm feedForwardNorm, IFeedForward feedForward)
{
    public Attention Attention { get; } = attention;
    public IFeedForward FeedForward { get; } = feedForward;

    public Tensor forward(Tensor x)
    {
        x = x + Attention.forward(attentionNorm.forward(x));
        return x + FeedForward.forward(feedForwardNorm.forward(x));
    }
}
