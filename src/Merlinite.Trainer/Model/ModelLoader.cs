using Merlinite.Gguf;
using Merlinite.Gguf.Architecture;
using Merlinite.Trainer.Lora;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>Reads a llama-architecture GGUF into a <see cref="LlamaModel"/>: every weight dequantized to float32, frozen.</summary>
public static class ModelLoader
{
    public static LlamaModel Load(string path)
    {
        if (!File.Exists(path)) throw new TrainerException($"{path}: base model not found");
        using var file = GgufFile.Open(path);
        var hp = LlamaHyperParameters.FromGguf(file); // rejects general.architecture other than "llama", naming the file
        Tensor Read(LlamaTensorRole role, int layer = -1) => ReadTensor(file, hp, role, layer);

        var rope = new Rope(hp.HeadDim, hp.RopeFreqBase);
        var blocks = new List<TransformerBlock>();
        for (int l = 0; l < hp.BlockCount; l++)
        {
            LoraLinear Linear(LlamaTensorRole role) => new(LlamaTensorNames.NameOf(role, l), Read(role, l));
            LoraExperts Experts(LlamaTensorRole role) => new(LlamaTensorNames.NameOf(role, l), Read(role, l));

            var attention = new Attention(hp, rope,
                Linear(LlamaTensorRole.AttentionQuery), Linear(LlamaTensorRole.AttentionKey),
                Linear(LlamaTensorRole.AttentionValue), Linear(LlamaTensorRole.AttentionOutput));
            IFeedForward feedForward = hp.IsMixtureOfExperts
                ? new MixtureOfExperts(Read(LlamaTensorRole.ExpertRouter, l), hp.ExpertUsedCount,
                    Experts(LlamaTensorRole.ExpertGate), Experts(LlamaTensorRole.ExpertUp), Experts(LlamaTensorRole.ExpertDown))
                : new FeedForward(Linear(LlamaTensorRole.FeedForwardGate), Linear(LlamaTensorRole.FeedForwardUp), Linear(LlamaTensorRole.FeedForwardDown));
            blocks.Add(new TransformerBlock(
                new RmsNorm(Read(LlamaTensorRole.AttentionNorm, l), hp.RmsNormEpsilon), attention,
                new RmsNorm(Read(LlamaTensorRole.FeedForwardNorm, l), hp.RmsNormEpsilon), feedForward));
        }

        var embedding = Read(LlamaTensorRole.TokenEmbedding);
        // llama.cpp ties the output head to the token embedding when output.weight is absent.
        var output = file.TryGetTensor(LlamaTensorNames.Output, out _) ? Read(LlamaTensorRole.Output) : embedding;
        return new LlamaModel(hp, embedding, blocks, new RmsNorm(Read(LlamaTensorRole.OutputNorm), hp.RmsNormEpsilon), output);
    }

    /// <summary>One weight as a frozen float32 tensor in torch layout: the ggml dimensions reversed (ne0 is the last, contiguous one).</summary>
    private static Tensor ReadTensor(GgufFile file, LlamaHyperParameters hp, LlamaTensorRole role, int layer)
    {
        string name = LlamaTensorNames.NameOf(role, layer);
        long[] expected = LlamaTensorNames.ShapeOf(role, hp);
        if (!file.TryGetTensor(name, out var info))
            throw new TrainerException($"{file.Path}: tensor '{name}' is missing");
        if (!info.Shape.AsSpan().SequenceEqual(expected))
            throw new TrainerException($"{file.Path}: tensor '{name}' has shape [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", expected)}]");
        if (!GgmlDequantizer.IsSupported(info.Type))
            throw new TrainerException($"{file.Path}: tensor '{name}' is stored as {info.TypeInfo.Name}, which cannot be dequantized here");
        return tensor(file.ReadTensorAsFloat32(info), expected.Reverse().ToArray()).DetachFromDisposeScope();
    }
}
