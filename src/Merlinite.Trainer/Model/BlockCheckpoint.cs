using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Merlinite.Trainer.Model;

/// <summary>
/// Gradient checkpointing of one block: the forward pass keeps only the block's input, and the backward pass runs the
/// block again with autograd on, then back-propagates through that recomputation (which also fills the gradients of
/// the block's LoRA parameters). Activation memory falls from every block's intermediates to one block's, for a
/// third more compute. Dropout draws the same masks in both passes because it is seeded per (step, micro-batch,
/// layer) by the caller's <see cref="Reseed"/>.
/// </summary>
public sealed class BlockCheckpoint : SingleTensorFunction<BlockCheckpoint>
{
    public override string Name => "merlinite_block_checkpoint";

    /// <summary>Applies <paramref name="block"/> to x with checkpointing; <paramref name="reseed"/> sets the RNG state the
    /// block's dropout starts from (called before the forward pass and again before the recomputation).</summary>
    public static Tensor Run(TransformerBlock block, Tensor x, SequenceContext context, Action reseed) =>
        apply(x, block, context, reseed);

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var block = (TransformerBlock)vars[1];
        var context = (SequenceContext)vars[2];
        var reseed = (Action)vars[3];
        ctx.save_for_backward([x]);
        ctx.save_data("block", block);
        ctx.save_data("context", context);
        ctx.save_data("reseed", reseed);
        reseed();
        return block.forward(x, context);
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor gradOutput)
    {
        // On CUDA the autograd engine calls this from its own device thread, where no dispose scope of the training
        // step is open: every tensor made here would wait for the garbage collector, holding GPU memory across steps.
        // So all of them live in this scope, and the input gradient, which must outlive the call, is handed to
        // ReleaseGradients (called by the step once backward() has returned).
        Tensor inputGrad;
        using (NewDisposeScope())
        {
            var x = ctx.get_saved_variables()[0];
            var block = (TransformerBlock)ctx.get_data("block");
            var context = (SequenceContext)ctx.get_data("context");
            ((Action)ctx.get_data("reseed"))();
            using var _ = enable_grad();
            var input = x.detach().requires_grad_(true);
            var output = block.forward(input, context);
            autograd.backward([output], [gradOutput]);
            inputGrad = input.grad!.DetachFromDisposeScope();
        }
        lock (Pending) Pending.Add(inputGrad);
        return [inputGrad, null!, null!, null!];
    }

    private static readonly List<Tensor> Pending = [];

    /// <summary>Disposes the input gradients the backward passes handed to autograd (which holds its own references).</summary>
    public static void ReleaseGradients()
    {
        lock (Pending)
        {
            foreach (var t in Pending) t.Dispose();
            Pending.Clear();
        }
    }
}
