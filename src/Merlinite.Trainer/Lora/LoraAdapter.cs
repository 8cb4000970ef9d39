using TorchSharp;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Lora;

/// <summary>
/// The trainable low-rank update of one frozen projection W: delta(x) = scale · B·A·dropout(x).
/// <para>Dense: A is [r, n_in], B is [n_out, r] (PEFT's layout). Expert stacks: A is [n_expert, r, n_in] and B is
/// [n_expert, n_out, r], one pair per expert. Read row-major, these are exactly llama.cpp's GGUF LoRA tensors with the
/// dimensions reversed: lora_a ne = [n_in, r(, n_expert)], lora_b ne = [r, n_out(, n_expert)] (see AdapterFile).</para>
/// </summary>
public sealed class LoraAdapter
{
    public LoraAdapter(string baseName, Tensor a, Tensor b, float scale, float dropout)
    {
        BaseName = baseName;
        A = a.requires_grad_(true);
        B = b.requires_grad_(true);
        Scale = scale;
        Dropout = dropout;
    }

    /// <summary>The GGUF name of the frozen weight, e.g. <c>blk.0.attn_q.weight</c>.</summary>
    public string BaseName { get; }
    public Tensor A { get; }
    public Tensor B { get; }
    public float Scale { get; }
    public float Dropout { get; }
    public int Rank => (int)(A.dim() == 2 ? A.shape[0] : A.shape[1]);

    /// <summary>Dropout is applied only while training (and never when p = 0, so evaluation needs no RNG).</summary>
    public bool Training { get; set; }

    public string NameA => BaseName + ".lora_a";
    public string NameB => BaseName + ".lora_b";

    /// <summary>
    /// A fresh adapter the way PEFT initializes one: A ~ kaiming_uniform(a=√5), i.e. U(-1/√n_in, 1/√n_in), and B = 0,
    /// so training starts from exactly the base model.
    /// </summary>
    public static LoraAdapter Create(string baseName, long[] weightShape, int rank, float scale, float dropout, Generator generator, Device device)
    {
        // weightShape is the torch shape of W: [n_out, n_in] or [n_expert, n_out, n_in].
        long nIn = weightShape[^1], nOut = weightShape[^2];
        long[] aShape = weightShape.Length == 3 ? [weightShape[0], rank, nIn] : [rank, nIn];
        long[] bShape = weightShape.Length == 3 ? [weightShape[0], nOut, rank] : [nOut, rank];
        double bound = 1.0 / Math.Sqrt(nIn);
        // Drawn on the CPU (the generator's device), so a run draws the same start on every device.
        var a = (torch.rand(aShape, generator: generator) * (2 * bound) - bound).to(device).DetachFromDisposeScope();
        var b = torch.zeros(bShape, device: device).DetachFromDisposeScope();
        return new LoraAdapter(baseName, a, b, scale, dropout);
    }

    /// <summary>scale · B·A·dropout(x) for a dense projection; x32 is the input [..., n_in] as float32: the adapter
    /// computes in its own dtype, as PEFT does, and the caller casts the result back.</summary>
    public Tensor Delta(Tensor x32) => Apply(x32, A, B);

    /// <summary>The same for expert <paramref name="expert"/> of a stack; x32 holds only that expert's tokens.</summary>
    public Tensor Delta(Tensor x32, long expert) => Apply(x32, A[expert], B[expert]);

    private Tensor Apply(Tensor x32, Tensor a, Tensor b)
    {
        if (Training && Dropout > 0) x32 = nn.functional.dropout(x32, Dropout, training: true);
        return nn.functional.linear(nn.functional.linear(x32, a), b) * Scale;
    }
}
