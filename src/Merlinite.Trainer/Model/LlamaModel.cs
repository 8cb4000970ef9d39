using Merlinite.Gguf.Architecture;
using Merlinite.Trainer.Lora;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>
/// A llama-architecture language model (Llama, Mistral, Mixtral) with frozen float32 weights:
/// token embedding → n_layer × <see cref="TransformerBlock"/> → RMSNorm → output head.
/// Only the LoRA adapters attached to its projections are trainable.
/// </summary>
public sealed class LlamaModel(LlamaHyperParameters hp, Tensor tokenEmbedding, IReadOnlyList<TransformerBlock> blocks, RmsNorm outputNorm, Tensor output)
{
    public LlamaHyperParameters Hp { get; } = hp;
    public IReadOnlyList<TransformerBlock> Blocks { get; } = blocks;

    /// <summary>Token embedding → blocks → final RMSNorm: [batch, seq] token ids in, [batch, seq, n_embd] out.</summary>
    public Tensor Hidden(Tensor tokens)
    {
        long b = tokens.shape[0], t = tokens.shape[1];
        var x = tokenEmbedding.index_select(0, tokens.reshape(-1)).view(b, t, Hp.EmbeddingLength);
        foreach (var block in Blocks) x = block.forward(x);
        return outputNorm.forward(x);
    }

    /// <summary>[batch, seq, n_vocab]: logits after each prefix tokens[.., 0..p].</summary>
    public Tensor Logits(Tensor tokens) => nn.functional.linear(Hidden(tokens), output);

    /// <summary>
    /// Summed cross-entropy of <paramref name="targets"/> predicted at <paramref name="positions"/> (flat indices into
    /// batch·seq). The output head runs only on those positions: with a 32k vocabulary it is the costliest matmul.
    /// </summary>
    public Tensor LossSum(Tensor tokens, Tensor positions, Tensor targets)
    {
        var hidden = Hidden(tokens).reshape(-1, Hp.EmbeddingLength).index_select(0, positions);
        return nn.functional.cross_entropy(nn.functional.linear(hidden, output), targets, reduction: nn.Reduction.Sum);
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
                projection.Adapter = LoraAdapter.Create(projection.Name, projection.Weight.shape, config.Rank, config.Scale, config.Dropout, generator);
            }
    }
}
