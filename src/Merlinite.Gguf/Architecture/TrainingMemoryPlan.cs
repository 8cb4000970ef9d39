using System.Globalization;

namespace Merlinite.Gguf.Architecture;

/// <summary>What a LoRA training run holds in memory, from the model's shape and the run's settings.</summary>
/// <param name="DtypeBytes">Bytes per value of the frozen weights and the activations (2 for bf16/f16, 4 for f32).</param>
/// <param name="Rows">Sequences in the largest micro-batch.</param>
/// <param name="Seq">Tokens per sequence of the largest micro-batch (padded rows, or one packed row).</param>
/// <param name="LossTokens">Tokens the loss covers in that micro-batch (at most Rows × Seq).</param>
/// <param name="Cuda">On a GPU (weights and activations in device memory; the host holds the runtime only).</param>
public sealed record TrainingShape(int DtypeBytes, int Rank, IReadOnlyCollection<string> Targets, int Rows, int Seq, int LossTokens,
    bool Checkpointing, bool Cuda);

/// <summary>The predicted peak, by part, in bytes.</summary>
public sealed record TrainingMemory(long Runtime, long Weights, long Adapters, long Activations, long Logits)
{
    public long Total => Runtime + Weights + Adapters + Activations + Logits;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Gib(Total)} = weights {Gib(Weights)} + LoRA with gradients and AdamW state {Gib(Adapters)} + activations {Gib(Activations)} + logits {Gib(Logits)} + runtime {Gib(Runtime)}");

    public static string Gib(long bytes) => bytes >= 1L << 30
        ? (bytes / (double)(1L << 30)).ToString("F2", CultureInfo.InvariantCulture) + " GiB"
        : (bytes / (double)(1L << 20)).ToString("F0", CultureInfo.InvariantCulture) + " MiB";
}

/// <summary>
/// The memory plan of a LoRA run: one function, used by `merlinite train --dry-run`, `merlinite run --dry-run` and the
/// trainer itself before it loads anything. It counts what the trainer's autograd graph keeps (see the trainer's
/// Model/ folder), per token of the largest micro-batch, and was validated against measured peak resident memory from
/// a 0.6M model to the Mistral-7B shape (docs/benchmarks.md). It assumes freed tensors go back to the operating system
/// at once, which the trainer arranges when the plan needs more than half of the free memory (its Runtime/HostHeap);
/// below that, glibc's heap may keep up to 2× what is live, which then still fits, and training runs twice as fast.
/// </summary>
public static class TrainingMemoryPlan
{
    /// <summary>Resident memory of the trainer before any tensor: the .NET runtime and libtorch's code (measured on the CPU).</summary>
    public const long CpuRuntimeBytes = 195L << 20;
    /// <summary>What a CUDA context and cuBLAS's workspaces take on the device before any tensor.</summary>
    public const long CudaRuntimeBytes = 600L << 20;

    /// <summary>Blocks' worth of activations live at once in a checkpointed backward pass, in halves (fitted to
    /// measurements: the recomputed block, its gradients, and the gradients flowing between blocks).</summary>
    private const int CheckpointedHalfBlocks = 7;

    public static TrainingMemory Estimate(LlamaHyperParameters hp, TrainingShape s)
    {
        long e = hp.EmbeddingLength, f = hp.FeedForwardLength, q = hp.QueryLength, kv = hp.KeyValueLength, v = hp.VocabSize;
        long n = (long)s.Rows * s.Seq, b = s.DtypeBytes;
        long weights = hp.ParameterCount * b;

        // LoRA: r·(n_in + n_out) per adapted matrix (per expert for Mixtral's stacks), held with its gradient and the two
        // AdamW moments, all float32.
        long perLayer = 0;
        long experts = hp.IsMixtureOfExperts ? hp.ExpertCount : 1;
        foreach (var t in s.Targets)
            perLayer += t switch
            {
                "attn_q" => e + q,
                "attn_k" or "attn_v" => e + kv,
                "attn_output" => q + e,
                "ffn_gate" or "ffn_up" or "ffn_down" => experts * (e + f),
                _ => 0,
            } * s.Rank;
        long adapters = perLayer * hp.BlockCount * 16;

        // Activations autograd keeps for one block, per token (bytes), as the trainer's graph keeps them: each RMSNorm its
        // float32 input (the block's input itself in f32, a float32 copy in bf16) and its output; q, k and v repeated to
        // the query heads and the attention heads, for the matmuls; SwiGLU's gate, silu(gate), up and their product. In
        // bf16 the adapters also keep a float32 copy of each input they read (one per shared input). Attention keeps its
        // float32 softmax (and in bf16 its bf16 copy), seq × seq per head and row.
        bool lora(string t) => s.Targets.Contains(t);
        long ffn = hp.IsMixtureOfExperts ? f * hp.ExpertUsedCount : f;
        long loraCopies = b == 4 ? 0 : 4 * ((lora("attn_q") || lora("attn_k") || lora("attn_v") ? e : 0) + (lora("attn_output") ? q : 0)
                                              + (lora("ffn_gate") || lora("ffn_up") ? e : 0) + (lora("ffn_down") ? ffn : 0));
        long perToken = 2 * (4 + b) * e + loraCopies + 4 * b * q + 4 * b * ffn;
        long attention = (4 + (b == 4 ? 0 : b)) * hp.HeadCount * (long)s.Rows * s.Seq * s.Seq;
        long block = n * perToken + attention;
        // Without checkpointing every block keeps its activations, and the backward pass adds about one block of
        // gradients in flight. With it, each block keeps only its input, one block is recomputed at a time, and its
        // backward pass needs about as much again.
        long activations = s.Checkpointing ? hp.BlockCount * n * e * b + CheckpointedHalfBlocks * block / 2 : (hp.BlockCount + 1) * block;
        activations += 2 * n * e * b; // the embedding's output and the final norm's

        // The output head runs only at the loss positions: its output, the float32 logits, their log-softmax and its gradient.
        long logits = (long)s.LossTokens * v * (b + 4 + 4 + 4);

        return new TrainingMemory(s.Cuda ? CudaRuntimeBytes : CpuRuntimeBytes, weights, adapters, activations, logits);
    }
}
