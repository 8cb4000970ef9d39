using System.CommandLine;
using Merlinite.Engine.Placement;

namespace Merlinite.Cli.Commands;

/// <summary>`bench sample|score --record`: the measured rate goes into the table `run --dry-run` estimates time from
/// (<see cref="Throughput.UserFile"/>), so estimates come from this machine instead of the project's figures.</summary>
public static class BenchRecord
{
    public static Option<bool> Option() => new("--record")
    {
        Description = "keep the batched rate for run --dry-run's time estimates (" + Throughput.UserFile + ")",
    };

    public static void Write(WorkKind kind, string model, double tokensPerSecond, string what)
    {
        var weights = ModelWeights.Read(model);
        string device = Llama.LlamaRuntime.SupportsGpuOffload && VramBudget.FreeGpuBytes() > 0 ? "gpu" : "cpu";
        var row = new ThroughputRow(kind, device, weights.ActiveBytesPerToken() / VramBudget.Gib, tokensPerSecond,
            $"merlinite bench {kind.ToString().ToLowerInvariant()} on this machine, " +
            $"{Path.GetFileName(model)}, {what} " +
            $"({DateTime.UtcNow:yyyy-MM-dd})");
        Throughput.Record(row);
        Console.WriteLine($"recorded {tokensPerSecond:F1} tok/s ({device}) in {Throughput.UserFile}");
    }
}
