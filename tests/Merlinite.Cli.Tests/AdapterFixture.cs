using Merlinite.Gguf;

namespace Merlinite.Cli.Tests;

/// <summary>A well-formed LoRA adapter GGUF with zero weights for blk.0.attn_q: its header as merlinite train writes it,
/// its shapes (width × rank) chosen by the test.</summary>
public static class AdapterFixture
{
    public static void Write(string path, int width, int rank, float alpha = 8)
    {
        var adapter = new GgufWriter();
        adapter.AddString("general.architecture", "llama");
        adapter.AddString("general.type", "adapter");
        adapter.AddString("adapter.type", "lora");
        adapter.AddFloat32("adapter.lora.alpha", alpha);
        adapter.AddTensor("blk.0.attn_q.weight.lora_a", [width, rank], GgmlType.F32, new float[width * rank]);
        adapter.AddTensor("blk.0.attn_q.weight.lora_b", [rank, width], GgmlType.F32, new float[width * rank]);
        adapter.Write(path);
    }
}
