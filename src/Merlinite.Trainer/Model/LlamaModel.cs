using Merlinite.Gguf.Architecture;
using Merlinite.Trainer.Lora;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>
/// A llama-architecture language model (Llama, Mistral, Mixtral) with frozen weights in one dtype on one device:
/// token embedding → n_layer × <see cref="TransformerBlock"/> → RMSNorm → output head.
/// Only the LoRA adapters attached to its projections are trainable (float32).
/// </summary>
public sealed class LlamaModel(LlamaHyperParameters hp, Tensor tokenEmbedding, IReadOnlyList<TransformerBlock> blocks, RmsNorm outputNorm, Tensor output)
{
    public LlamaHyperParameters Hp { get; } = hp;
    public IReadOnlyList<TransformerBlock> Blocks { get; } = blocks;
    public Device Device => tokenEmbedding.device;
    public ScalarType Dtype => tokenEmbedding.dtype;

    /// <summary>Recompute each block in the backward pass instead of keeping its activations (see <see cref="BlockCheckpoint"/>).</summary>
    public bool Checkpointing { get; set; }

    /// <summary>Called with the layer index before each block runs (and again before a checkpointed block is
    /// recomputed): seeds the block's dropout.</summary>
    public Action<int>? ReseedBlock { get; set; }

    /// <summary>Token embedding → blocks → final RMSNorm: [batch, seq] token ids in, [batch, seq, n_embd] out.</summary>
    public Tensor Hidden(Tensor tokens, SequenceContext context)
    {
        long b = tokens.shape[0], t = tokens.shape[1];
        var x = tokenEmbedding.index_select(0, tokens.reshape(-1)).view(b, t, Hp.EmbeddingLength);
        // A checkpointed block is part of the graph only if its input requires a gradient; the frozen embedding's
        // output does not, so it is made to (PEFT's enable_input_require_grads).
        if (Checkpointing && is_grad_enabled()) x = x.detach().requires_grad_(true);
        for (int l = 0; l < Blocks.Count; l++)
        {
            int layer = l;
            if (Checkpointing && is_grad_enabled()) x = BlockCheckpoint.Run(Blocks[l], x, context, () => ReseedBlock?.Invoke(layer));
            else
            {
                ReseedBlock?.Invoke(layer);
                x = Blocks[l].forward(x, context);
            }
        }
        return outputNorm.forward(x);
    }

    /// <summary>[batch, seq, n_vocab] float32 logits after each prefix tokens[.., 0..p] (one example per row).</summary>
    public Tensor Logits(Tensor tokens) =>
        nn.functional.linear(Hidden(tokens, SequenceContext.Causal(tokens.shape[0], tokens.shape[1], tokens.device)), output).to(ScalarType.Float32);

    /// <summary>
    /// Summed cross-entropy of <paramref name="targets"/> predicted at <paramref name="positions"/> (flat indices into
    /// batch·seq), in float32. The output head runs only on those positions: with a 32k vocabulary it is the costliest matmul.
    /// </summary>
    public Tensor LossSum(Tensor tokens, SequenceContext context, Tensor positions, Tensor targets)
    {
        var hidden = Hidden(tokens, context).reshape(-1, Hp.EmbeddingLength).index_select(0, positions);
        var logits = nn.functional.linear(hidden, output).to(ScalarType.Float32);
        return nn.functional.cross_entropy(logits, targets, reduction: nn.Reduction.Sum);
    }

    /// <summary>The weight a LoRA target names in block <paramref name="layer"/> (for Mixtral the FFN targets are expert stacks).</summary>
    public IAdaptable Projection(int layer, LoraTarget target)
    {
        var block = Blocks[layer];
        return (target, block.FeedForward) switch
        {
            (LoraTarget.AttnQ, _) => block.Attention.Query,
            (LoraTarget.AttnK, _) => block.Attention.Key,
            (LoraTarget.AttnV, _) => block.Attention.Value,
            (LoraTarget.AttnOutput, _) => block.Attention.Output,
            (LoraTarget.FfnGate, FeedForward f) => f.Gate,
            (LoraTarget.FfnUp, FeedForward f) => f.Up,
            (LoraTarget.FfnDown, FeedForward f) => f.Down,
            (LoraTarget.FfnGate, MixtureOfExperts m) => m.Gate,
            (LoraTarget.FfnUp, MixtureOfExperts m) => m.Up,
            (LoraTarget.FfnDown, MixtureOfExperts m) => m.Down,
            _ => throw new ArgumentOutOfRangeException(nameof(target)),
        };
    }

    /// <summary>Every attached adapter, block by block in target order: the order of parameters, checkpoints and files.</summary>
    public IReadOnlyList<LoraAdapter> Adapters => Enumerable.Range(0, Blocks.Count)
        .SelectMany(l => LoraTargets.All.Select(t => Projection(l, t).Adapter))
        .OfType<LoraAdapter>()
        .ToList();

    /// <summary>Turns adapter dropout on (training) or off (evaluation).</summary>
    public void SetTraining(bool training)
    {
        foreach (var adapter in Adapters) adapter.Training = training;
    }

    /// <summary>Attaches fresh adapters (PEFT init, drawn from <paramref name="generator"/> in <see cref="Adapters"/> order).</summary>
    public void AttachAdapters(LoraConfig config, Generator generator)
    {
        for (int layer = 0; layer < Blocks.Count; layer++)
            foreach (var target in LoraTargets.All.Where(config.Targets.Contains))
            {
                var projection = Projection(layer, target);
                projection.Adapter = LoraAdapter.Create(projection.Name, projection.Weight.shape, config.Rank, config.Scale, config.Dropout, generator, Device);
            }
    }
}
