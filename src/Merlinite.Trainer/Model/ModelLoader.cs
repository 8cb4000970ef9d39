using Merlinite.Gguf;
using Merlinite.Gguf.Architecture;
using Merlinite.Trainer.Lora;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Model;

/// <summary>
/// Reads a llama-architecture GGUF into a <see cref="LlamaModel"/>, every weight frozen in the target dtype on the target
/// device. Each tensor is dequantized a few million values at a time straight into its final tensor, so the load never
/// holds more than the final weights plus one chunk: a 7B base in bf16 loads in 14.5 GB, not via a 29 GB float32 copy.
/// </summary>
public static class ModelLoader
{
    /// <summary>Values dequantized at a time (16 MB of float32).</summary>
    private const int ChunkValues = 4 << 20;

    public static LlamaModel Load(string path, ScalarType dtype, Device device)
    {
        if (!File.Exists(path)) throw new TrainerException($"{path}: base model not found");
        using var file = GgufFile.Open(path);
        var hp = LlamaHyperParameters.FromGguf(file); // rejects general.architecture other than "llama", naming the file
        // One buffer for the whole load: allocating one per tensor left hundreds of MB of garbage for the GC to find.
        var buffer = new float[ChunkValues];
        Tensor Read(LlamaTensorRole role, int layer = -1) => ReadTensor(file, hp, role, layer, dtype, device, buffer);

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

    /// <summary>One weight as a frozen tensor in torch layout (the ggml dimensions reversed: ne0 is the last, contiguous one).</summary>
    private static Tensor ReadTensor(GgufFile file, LlamaHyperParameters hp, LlamaTensorRole role, int layer,
        ScalarType dtype, Device device, float[] buffer)
    {
        string name = LlamaTensorNames.NameOf(role, layer);
        long[] expected = LlamaTensorNames.ShapeOf(role, hp);
        if (!file.TryGetTensor(name, out var info))
            throw new TrainerException($"{file.Path}: tensor '{name}' is missing");
        if (!info.Shape.AsSpan().SequenceEqual(expected))
            throw new TrainerException($"{file.Path}: tensor '{name}' has shape [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", expected)}]");
        if (!GgmlDequantizer.IsSupported(info.Type))
            throw new TrainerException($"{file.Path}: tensor '{name}' is stored as {info.TypeInfo.Name}, which cannot be dequantized here");

        long rowLength = expected[0], rows = expected.Skip(1).Aggregate(1L, (a, d) => a * d);
        var result = empty([rows, rowLength], dtype: dtype, device: device);
        if (rowLength > buffer.Length) buffer = new float[rowLength];
        int rowsPerChunk = (int)Math.Clamp(buffer.Length / rowLength, 1, rows);
        for (long first = 0; first < rows; first += rowsPerChunk)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            int count = (int)Math.Min(rowsPerChunk, rows - first);
            file.ReadRowsAsFloat32(info, first, count, buffer.AsSpan(0, (int)(count * rowLength)));
            // A view of the managed buffer (no copy); copy_ converts it to the weight's dtype and device.
            var chunk = from_array(buffer).narrow(0, 0, count * rowLength).view(count, rowLength);
            result.narrow(0, first, count).copy_(chunk);
        }
        return result.view(expected.Reverse().ToArray()).DetachFromDisposeScope();
    }
}
