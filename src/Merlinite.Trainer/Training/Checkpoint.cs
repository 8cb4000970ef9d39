using Merlinite.Gguf;
using Merlinite.Trainer.Lora;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Training;

/// <summary>
/// A resumable snapshot, written as a GGUF file (atomically: temporary file, then rename, by <see cref="GgufWriter"/>):
/// the LoRA tensors, the AdamW moments ("NAME.adam_m", "NAME.adam_v") and the number of completed steps. No RNG state
/// is stored because none is carried between steps: shuffling and dropout derive their seeds from (seed, step), see
/// Data/Seeds. A fingerprint of the run's settings guards against resuming a different run.
/// </summary>
public static class Checkpoint
{
    public const string FileName = "checkpoint.gguf";
    private const string StepKey = "merlinite.checkpoint.step";
    private const string LossKey = "merlinite.checkpoint.loss";
    private const string FingerprintKey = "merlinite.checkpoint.fingerprint";

    /// <summary>What a checkpoint restores besides tensors: completed steps and the loss of the last of them.</summary>
    public sealed record State(int CompletedSteps, double LastLoss);

    public static string PathIn(string folder) => Path.Combine(folder, FileName);

    public static string Save(string folder, string fingerprint, State state, IReadOnlyList<LoraAdapter> adapters, AdamW optimizer)
    {
        Directory.CreateDirectory(folder);
        var writer = new GgufWriter();
        writer.AddString("general.type", "merlinite-trainer-checkpoint");
        writer.AddString(FingerprintKey, fingerprint);
        writer.AddUInt32(StepKey, (uint)state.CompletedSteps);
        writer.AddFloat64(LossKey, state.LastLoss);
        foreach (var (name, tensor, m, v) in Slots(adapters, optimizer))
        {
            var shape = TensorData.GgmlShape(tensor);
            writer.AddTensor(name, shape, GgmlType.F32, TensorData.ToArray(tensor));
            writer.AddTensor(name + ".adam_m", shape, GgmlType.F32, TensorData.ToArray(m));
            writer.AddTensor(name + ".adam_v", shape, GgmlType.F32, TensorData.ToArray(v));
        }
        string path = PathIn(folder);
        writer.Write(path);
        return path;
    }

    /// <summary>Restores the checkpoint in <paramref name="folder"/> if there is one; null when there is none.</summary>
    public static State? TryLoad(string folder, string fingerprint, IReadOnlyList<LoraAdapter> adapters, AdamW optimizer)
    {
        string path = PathIn(folder);
        if (!File.Exists(path)) return null;
        using var file = GgufFile.Open(path);
        string? saved = file.Metadata.GetStringOrDefault(FingerprintKey);
        if (saved != fingerprint)
            throw new TrainerException($"{path}: this checkpoint was made by a run with other settings or data; " +
                                       "rerun with the same flags to resume, or delete it (or pick another --checkpoint-dir) to start over");
        foreach (var (name, tensor, m, v) in Slots(adapters, optimizer))
        {
            TensorData.CopyInto(tensor, file.ReadTensorAsFloat32(name));
            TensorData.CopyInto(m, file.ReadTensorAsFloat32(name + ".adam_m"));
            TensorData.CopyInto(v, file.ReadTensorAsFloat32(name + ".adam_v"));
        }
        return new State((int)file.Metadata.GetUInt32(StepKey), file.Metadata.Get(LossKey).AsFloat64());
    }

    /// <summary>Parameters in optimizer order (A then B of each adapter) with their names and moments.</summary>
    private static IEnumerable<(string Name, Tensor Tensor, Tensor M, Tensor V)> Slots(IReadOnlyList<LoraAdapter> adapters, AdamW optimizer)
    {
        int i = 0;
        foreach (var adapter in adapters)
        {
            yield return (adapter.NameA, adapter.A, optimizer.M[i], optimizer.V[i]);
            i++;
            yield return (adapter.NameB, adapter.B, optimizer.M[i], optimizer.V[i]);
            i++;
        }
    }
}
