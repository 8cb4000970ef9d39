using System.Text;
using System.Text.Json;

namespace Merlinite.Trainer.Training;

/// <summary>Progress as JSON Lines on stdout: one object per event ("start", "step", "checkpoint", "done", "error"), flushed at once.</summary>
public sealed class ProgressWriter(TextWriter output)
{
    public void Start(string basePath, int examples, int totalSteps, int startStep, long trainableParameters, int adapters) =>
        Emit("start", w =>
        {
            w.WriteString("base", basePath);
            w.WriteNumber("examples", examples);
            w.WriteNumber("total_steps", totalSteps);
            w.WriteNumber("start_step", startStep);
            w.WriteBoolean("resumed", startStep > 0);
            w.WriteNumber("trainable_parameters", trainableParameters);
            w.WriteNumber("adapted_weights", adapters);
        });

    public void Step(int step, int totalSteps, double loss, double lr, double gradNorm, double tokensPerSecond) =>
        Emit("step", w =>
        {
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

    public void Done(string adapter, double finalLoss, int steps) =>
        Emit("done", w =>
        {
            w.WriteString("adapter", adapter);
            Number(w, "final_loss", finalLoss);
            w.WriteNumber("steps", steps);
        });

    public void Error(string message) => Emit("error", w => w.WriteString("message", message));

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
