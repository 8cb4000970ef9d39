using Merlinite.Gguf;
using Merlinite.Trainer.Model;

namespace Merlinite.Trainer.Lora;

/// <summary>
/// llama.cpp's GGUF LoRA format (src/llama-adapter.cpp): general.architecture = "llama", general.type = "adapter",
/// adapter.type = "lora", adapter.lora.alpha (f32), and per adapted weight W two F32 tensors "W.lora_a" with
/// ne = [n_in, r] and "W.lora_b" with ne = [r, n_out] (expert stacks add ne2 = n_expert). llama.cpp adds
/// (alpha / r) · B·A·x to W·x, r being lora_b's ne0.
/// </summary>
public static class AdapterFile
{
    private const string AlphaKey = "adapter.lora.alpha";

    /// <summary>Training's outcome, kept in the adapter so that whoever finds the file can tell how it was made
    /// (llama.cpp ignores the keys).</summary>
    public const string StepsKey = "merlinite.training.steps", LossKey = "merlinite.training.final_loss",
        EpochLossKey = "merlinite.training.last_epoch_loss";

    /// <summary>Writes the model's adapters to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    /// <param name="finalLoss">the last step's loss (one micro-batch's: noisy).</param>
    /// <param name="lastEpochLoss">the mean loss of the last epoch's steps.</param>
    public static void Write(string path, IReadOnlyList<LoraAdapter> adapters, float alpha, int steps, double finalLoss,
        double lastEpochLoss)
    {
        var writer = new GgufWriter();
        writer.AddString("general.architecture", "llama");
        writer.AddString("general.type", "adapter");
        writer.AddString("adapter.type", "lora");
        writer.AddFloat32(AlphaKey, alpha);
        writer.AddUInt32(StepsKey, (uint)steps);
        writer.AddFloat64(LossKey, finalLoss);
        writer.AddFloat64(EpochLossKey, lastEpochLoss);
        foreach (var adapter in adapters)
        {
            writer.AddTensor(adapter.NameA, TensorData.GgmlShape(adapter.A), GgmlType.F32, TensorData.ToArray(adapter.A));
            writer.AddTensor(adapter.NameB, TensorData.GgmlShape(adapter.B), GgmlType.F32, TensorData.ToArray(adapter.B));
        }
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        writer.Write(path);
    }

    /// <summary>
    /// Loads the tensors of an existing adapter into the model's (already attached) adapters, for --init-adapter.
    /// B is rescaled when the file's alpha differs from ours, so training starts from exactly the function the file
    /// describes. Targeted weights the file does not cover keep their fresh initialization (B = 0: no change).
    /// </summary>
    public static void LoadInto(string path, LlamaModel model, float alpha)
    {
        if (!File.Exists(path)) throw new TrainerException($"{path}: --init-adapter file not found");
        using var file = GgufFile.Open(path);
        string Key(string key) => file.Metadata.GetStringOrDefault(key) ?? "(missing)";
        if (Key("general.type") != "adapter" || Key("adapter.type") != "lora")
            throw new TrainerException($"{path}: not a LoRA adapter (general.type = {Key("general.type")}, adapter.type = {Key("adapter.type")})");
        if (Key("general.architecture") != "llama")
            throw new TrainerException($"{path}: adapter is for architecture '{Key("general.architecture")}', expected 'llama'");
        float fileAlpha = file.Metadata.GetFloat32OrNull(AlphaKey) ?? 0;

        var byName = new Dictionary<string, (LoraAdapter Adapter, bool IsB)>();
        foreach (var adapter in model.Adapters)
        {
            byName[adapter.NameA] = (adapter, false);
            byName[adapter.NameB] = (adapter, true);
        }
        foreach (var info in file.Tensors)
        {
            if (!byName.TryGetValue(info.Name, out var match))
                throw new TrainerException($"{path}: tensor '{info.Name}' matches no adapted weight (check --targets and the base model)");
            var target = match.IsB ? match.Adapter.B : match.Adapter.A;
            var shape = TensorData.TorchShape(info.Shape);
            if (!shape.AsSpan().SequenceEqual(target.shape))
                throw new TrainerException($"{path}: tensor '{info.Name}' has ne [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", TensorData.GgmlShape(target))}] (check --rank and the base model)");
            var values = file.ReadTensorAsFloat32(info);
            if (match.IsB)
            {
                // llama.cpp: scale = alpha / r, or 1 when alpha is 0.
                int rank = match.Adapter.Rank;
                double fileScale = fileAlpha == 0 ? 1 : fileAlpha / rank;
                double factor = fileScale / (alpha / rank);
                for (int i = 0; i < values.Length; i++) values[i] = (float)(values[i] * factor);
            }
            TensorData.CopyInto(target, values);
        }
    }
}
