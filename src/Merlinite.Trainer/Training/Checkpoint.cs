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
    private const string EpochLossSumKey = "merlinite.checkpoint.epoch_loss_sum",
        EpochStepsKey = "merlinite.checkpoint.epoch_steps";
    private const string FingerprintKey = "merlinite.checkpoint.fingerprint";

    /// <summary>What a checkpoint restores besides tensors: completed steps, the loss of the last of them, and the
    /// losses of the current epoch's steps so far (summed), so a resumed run reports the same epoch mean.</summary>
    public sealed record State(int CompletedSteps, double LastLoss, double EpochLossSum = 0, int EpochSteps = 0)
    {
        /// <summary>The mean loss of the current (at the end: the last) epoch's steps; NaN before any.</summary>
        public double EpochLoss => EpochSteps == 0 ? double.NaN : EpochLossSum / EpochSteps;

        /// <summary>After step <paramref name="step"/> (0-based) with <paramref name="loss"/>; an epoch's first step
        /// starts a new sum.</summary>
        public State After(int step, double loss, int stepsPerEpoch) => step % stepsPerEpoch == 0
            ? new State(step + 1, loss, loss, 1)
            : new State(step + 1, loss, EpochLossSum + loss, EpochSteps + 1);
    }

    public static string PathIn(string folder) => Path.Combine(folder, FileName);

    public static string Save(string folder, string fingerprint, State state, IReadOnlyList<LoraAdapter> adapters, AdamW optimizer)
    {
        Directory.CreateDirectory(folder);
        var writer = new GgufWriter();
        writer.AddString("general.type", "merlinite-trainer-checkpoint");
        writer.AddString(FingerprintKey, fingerprint);
        writer.AddUInt32(StepKey, (uint)state.CompletedSteps);
        writer.AddFloat64(LossKey, state.LastLoss);
        writer.AddFloat64(EpochLossSumKey, state.EpochLossSum);
        writer.AddUInt32(EpochStepsKey, (uint)state.EpochSteps);
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
        // A checkpoint of an older trainer has no epoch sum: the epoch mean then counts the steps run since.
        var meta = file.Metadata;
        return new State((int)meta.GetUInt32(StepKey), meta.Get(LossKey).AsFloat64(),
            meta.TryGetValue(EpochLossSumKey, out var sum) ? sum.AsFloat64() : 0,
            meta.TryGetValue(EpochStepsKey, out var count) ? count.AsInt32() : 0);
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
