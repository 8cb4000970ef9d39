using System.Text;
using System.Text.Json;

namespace Merlinite.Trainer.Training;

/// <summary>Progress as JSON Lines on stdout: one object per event ("start", "step", "checkpoint", "done", "error"), flushed at once.</summary>
public sealed class ProgressWriter(TextWriter output)
{
    /// <summary>The memory plan, before anything is loaded.</summary>
    public void Plan(Merlinite.Gguf.Architecture.TrainingMemory m, bool checkpointing, long freeBytes, string dtype, string device) =>
        Emit("plan", w =>
        {
            w.WriteString("device", device);
            w.WriteString("dtype", dtype);
            w.WriteBoolean("checkpointing", checkpointing);
            w.WriteNumber("total_bytes", m.Total);
            w.WriteNumber("weights_bytes", m.Weights);
            w.WriteNumber("adapters_bytes", m.Adapters);
            w.WriteNumber("activations_bytes", m.Activations);
            w.WriteNumber("logits_bytes", m.Logits);
            w.WriteNumber("runtime_bytes", m.Runtime);
            if (freeBytes < long.MaxValue) w.WriteNumber("free_bytes", freeBytes);
            w.WriteString("summary", m.Describe());
        });

    public void Start(string basePath, int examples, int totalSteps, int startStep, long trainableParameters, int adapters,
        double loadSeconds, long residentBytes) =>
        Emit("start", w =>
        {
            w.WriteNumber("load_seconds", Math.Round(loadSeconds, 3));
            w.WriteNumber("resident_bytes", residentBytes);
            w.WriteNumber("peak_resident_bytes", Runtime.ProcessMemory.PeakResidentBytes());
            w.WriteString("base", basePath);
            w.WriteNumber("examples", examples);
            w.WriteNumber("total_steps", totalSteps);
            w.WriteNumber("start_step", startStep);
            w.WriteBoolean("resumed", startStep > 0);
            w.WriteNumber("trainable_parameters", trainableParameters);
            w.WriteNumber("adapted_weights", adapters);
        });

    public void Step(int step, int totalSteps, double loss, double lr, double gradNorm, double tokensPerSecond, double seconds) =>
        Emit("step", w =>
        {
            Number(w, "seconds", seconds);
            w.WriteNumber("step", step);
            w.WriteNumber("total_steps", totalSteps);
            Number(w, "loss", loss);
            Number(w, "lr", lr);
            Number(w, "grad_norm", gradNorm);
            Number(w, "tokens_per_second", tokensPerSecond);
        });

    public void Checkpoint(int step, string path) =>
        Emit("checkpoint", w =>
        {
            w.WriteNumber("step", step);
            w.WriteString("path", path);
        });

    /// <summary>The end of the run. <paramref name="gpuBytes"/>: on CUDA, how much more GPU memory is in use than before
    /// loading (nvidia-smi; the caching allocator keeps its peak reservation, so this is the run's GPU peak).</summary>
    public void Done(string adapter, double finalLoss, double lastEpochLoss, int steps, long peakResidentBytes,
        long? gpuBytes = null) =>
        Emit("done", w =>
        {
            w.WriteNumber("peak_resident_bytes", peakResidentBytes);
            if (gpuBytes is long g) w.WriteNumber("peak_gpu_bytes", g);
            w.WriteString("adapter", adapter);
            Number(w, "final_loss", finalLoss);
            Number(w, "last_epoch_loss", lastEpochLoss);
            w.WriteNumber("steps", steps);
        });

    public void Error(string message, string? kind = null) => Emit("error", w =>
    {
        w.WriteString("message", message);
        if (kind is not null) w.WriteString("kind", kind);
    });

    // JSON has no NaN or infinity: such a value is written as null.
    private static void Number(Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value)) w.WriteNumber(name, value);
        else w.WriteNull(name);
    }

    private void Emit(string kind, Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("event", kind);
            body(w);
            w.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        output.Flush();
    }
}
