using System.Diagnostics;
using System.Text.Json;

namespace Merlinite.Engine.Training;

public readonly record struct TrainerProgress(int Step, int TotalSteps, double? Loss, double? LearningRate, double? TokensPerSecond, bool Resumed);

/// <param name="Plan">The memory plan the trainer made before loading anything (one line).</param>
/// <param name="PeakResidentBytes">The trainer's peak resident memory (0 for a dry run).</param>
public sealed record TrainerResult(string? Adapter, int Steps, double? FinalLoss, string? Plan, long PeakResidentBytes)
{
    /// <summary>Seconds the base model took to load, and the mean seconds per optimizer step of this run.</summary>
    public double LoadSeconds { get; init; }
    public double SecondsPerStep { get; init; }
    /// <summary>Tokens (prompt and response) the steps of this run processed.</summary>
    public long Tokens { get; init; }
    /// <summary>The mean loss of the last epoch's steps (the final loss is one step's, and noisy).</summary>
    public double? LastEpochLoss { get; init; }
}

/// <summary>The trainer process failed; the message is its own error text.</summary>
public sealed class TrainerFailedException(string message) : Exception(message);

/// <summary>The run does not fit the device by the trainer's memory plan (refused before anything was loaded); the
/// message says what to change. A usage error: the settings, not the data, are what cannot work.</summary>
public sealed class MemoryPlanException(string message) : ArgumentException(message);

/// <summary>
/// Runs the LoRA trainer (src/Merlinite.Trainer, TorchSharp: a JIT program that cannot live in the AOT binary) as a
/// child process and follows its JSON Lines progress on stdout.
/// </summary>
public static class TrainerSidecar
{
    public const string PathVariable = "MERLINITE_TRAINER";

    /// <summary>$MERLINITE_TRAINER, else <c>trainer/Merlinite.Trainer</c> beside the running binary (where build.sh puts it).</summary>
    public static string Locate()
    {
        var fromEnv = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(fromEnv))
            return File.Exists(fromEnv) ? fromEnv : throw new TrainerFailedException($"{PathVariable}={fromEnv}: no such file");
        var beside = Path.Combine(AppContext.BaseDirectory, "trainer", "Merlinite.Trainer");
        if (File.Exists(beside)) return beside;
        if (File.Exists(beside + ".dll")) return beside + ".dll";
        throw new TrainerFailedException(
            $"the trainer sidecar is missing ({beside}); build it with ./build.sh, or point {PathVariable} at Merlinite.Trainer(.dll)");
    }

    /// <summary>One line for `merlinite info`: where the trainer is, which libtorch it loads and the device it would
    /// train on (from `trainer --info`), or why there is none.</summary>
    public static string Describe()
    {
        try
        {
            string trainer = Locate();
            using var p = Process.Start(StartInfo(trainer, ["--info"])) ?? throw new TrainerFailedException("could not start it");
            string json = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            using var doc = JsonDocument.Parse(json);
            var e = doc.RootElement;
            return $"{trainer}: libtorch {e.GetProperty("libtorch").GetString()}, TorchSharp {e.GetProperty("torchsharp").GetString()}, " +
                   $"CUDA devices {e.GetProperty("cuda_devices").GetInt32()}, trains on {e.GetProperty("device").GetString()}" +
                   (e.TryGetProperty("error", out var error) ? $" ({error.GetString()})" : "");
        }
        catch (Exception e) when (e is TrainerFailedException or JsonException or System.ComponentModel.Win32Exception or KeyNotFoundException or InvalidOperationException)
        {
            return $"not usable ({e.Message})";
        }
    }

    private static ProcessStartInfo StartInfo(string trainer, IReadOnlyList<string> args)
    {
        var psi = trainer.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? new ProcessStartInfo("dotnet") { ArgumentList = { trainer } }
            : new ProcessStartInfo(trainer);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        Processes.ParentProcess.Adopt(psi); // it stops when this process is gone, even by SIGKILL
        return psi; // how the trainer's freed memory goes back to the system is its own choice (its Runtime/HostHeap)
    }

    public static TrainerResult Run(IReadOnlyList<string> args, Action<TrainerProgress>? progress, CancellationToken ct)
    {
        string trainer = Locate();
        var psi = StartInfo(trainer, args);

        Process process;
        try { process = Process.Start(psi) ?? throw new TrainerFailedException($"could not start {trainer}"); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new TrainerFailedException($"could not start the trainer {trainer}: {e.Message}");
        }
        using (process)
        using (ct.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }))
        {
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            TrainerResult? result = null;
            string? error = null, errorKind = null, plan = null;
            double loadSeconds = 0, stepSeconds = 0, tokens = 0;
            int stepsRun = 0;
            int totalSteps = 0;
            bool resumed = false;
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                if (!line.StartsWith('{')) continue;
                using var doc = JsonDocument.Parse(line);
                var e = doc.RootElement;
                switch (e.GetProperty("event").GetString())
                {
                    case "start":
                        totalSteps = e.GetProperty("total_steps").GetInt32();
                        loadSeconds = Number(e, "load_seconds") ?? 0;
                        resumed = e.GetProperty("resumed").GetBoolean();
                        progress?.Invoke(new TrainerProgress(e.GetProperty("start_step").GetInt32(), totalSteps, null, null, null, resumed));
                        break;
                    case "step":
                        stepSeconds += Number(e, "seconds") ?? 0;
                        tokens += (Number(e, "seconds") ?? 0) * (Number(e, "tokens_per_second") ?? 0);
                        stepsRun++;
                        progress?.Invoke(new TrainerProgress(e.GetProperty("step").GetInt32(), totalSteps,
                            Number(e, "loss"), Number(e, "lr"), Number(e, "tokens_per_second"), resumed));
                        break;
                    case "plan":
                        plan = e.GetProperty("summary").GetString();
                        break;
                    case "done":
                        result = new TrainerResult(e.GetProperty("adapter").GetString()!, e.GetProperty("steps").GetInt32(), Number(e, "final_loss"),
                            plan, e.TryGetProperty("peak_resident_bytes", out var peak) ? peak.GetInt64() : 0)
                        {
                            LoadSeconds = loadSeconds, SecondsPerStep = stepsRun == 0 ? 0 : stepSeconds / stepsRun, Tokens = (long)Math.Round(tokens),
                            LastEpochLoss = Number(e, "last_epoch_loss"),
                        };
                        break;
                    case "error":
                        error = e.GetProperty("message").GetString();
                        errorKind = e.TryGetProperty("kind", out var kind) ? kind.GetString() : null;
                        break;
                }
            }
            process.WaitForExit();
            ct.ThrowIfCancellationRequested();
            if (process.ExitCode == 0 && result is not null) return result;
            if (process.ExitCode == 0 && plan is not null && args.Contains("--dry-run")) return new TrainerResult(null, 0, null, plan, 0);
            if (errorKind == "memory_plan") throw new MemoryPlanException(error!);
            string detail = error ?? LastLines(stderr.Result) ?? $"exit code {process.ExitCode}";
            throw new TrainerFailedException($"training failed: {detail}");
        }
    }

    private static double? Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string? LastLines(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? null : string.Join(" | ", lines.TakeLast(3));
    }
}
