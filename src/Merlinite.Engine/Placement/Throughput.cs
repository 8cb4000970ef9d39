using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Merlinite.Engine.Placement;

/// <summary>What a phase does to tokens: generates them, scores them teacher-forced, or trains on them.</summary>
public enum WorkKind { Sample, Score, Train }

/// <summary>
/// A measured rate: <see cref="TokensPerSecond"/> of one kind of work on one device with a model whose forward pass
/// reads <see cref="ActiveGib"/> of weights per token. Estimates scale it by weight bytes (decoding and batched
/// scoring of these models are bound by reading weights), so one row serves every model size roughly.
/// </summary>
public sealed record ThroughputRow(
    WorkKind Kind, string Device, double ActiveGib, double TokensPerSecond, string Source)
{
    /// <summary>Weight bytes read per second: the rate the estimate divides by.</summary>
    public double BytesPerSecond => TokensPerSecond * ActiveGib * VramBudget.Gib;
}

/// <summary>
/// The rates time estimates come from: the user's own (`merlinite bench sample|score --record` appends to
/// <see cref="UserFile"/>), else figures measured for this project (docs/benchmarks.md), labelled with where they come
/// from so nobody mistakes an estimate for a measurement.
/// </summary>
public static class Throughput
{
    /// <summary>Measured figures. GPU rows: sampling and scoring are llama.cpp's own tools on an H100 (the engine's
    /// ceiling; no GPU was lent to measure the engine at 7B), training is our trainer on an H200. CPU rows: this
    /// project's 2-core AMD EPYC (Zen 4) machine.</summary>
    public static readonly IReadOnlyList<ThroughputRow> Defaults =
    [
        new(WorkKind.Sample, "gpu", 4.0, 3002,
            "llama-batched-bench best-of-32 on an H100, Mistral-7B-shape Q4_K_M (2026-11-24)"),
        new(WorkKind.Score, "gpu", 4.0, 9600, "llama-bench pp512 on an H100, Mistral-7B-shape Q4_K_M (2026-11-24)"),
        new(WorkKind.Train, "gpu", 13.5, 1967,
            "merlinite train on an H200, Mistral-7B-shape bf16, checkpointing (2026-11-30)"),
        new(WorkKind.Sample, "cpu", 4.0, 10.1,
            "bench/round.sh on a 2-core AMD EPYC, Mistral-7B-shape Q4_K_M, best-of-8 x 32 tokens (2026-12-07)"),
        new(WorkKind.Score, "cpu", 0.55, 36.8,
            "bench/round.sh on a 2-core AMD EPYC, a 2-block Mixtral-8x7B-shape Q4_K_M (2026-12-07)"),
        new(WorkKind.Train, "cpu", 13.5, 6.3,
            "bench/train-memory.sh on a 2-core AMD EPYC, Mistral-7B-shape bf16 (2026-11-30)"),
    ];

    /// <summary>Where `bench --record` keeps the user's rates: $XDG_DATA_HOME/merlinite (or
    /// ~/.local/share/merlinite).</summary>
    public static string UserFile
    {
        get
        {
            string? data = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            if (string.IsNullOrEmpty(data))
                data = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
                    ".local", "share");
            return Path.Combine(data, "merlinite", "throughput.jsonl");
        }
    }

    /// <summary>The rate for <paramref name="kind"/> on <paramref name="device"/>: the user's newest, else the
    /// default.</summary>
    public static ThroughputRow For(WorkKind kind, string device) =>
        ReadUser().LastOrDefault(r => r.Kind == kind && r.Device == device)
        ?? Defaults.First(r => r.Kind == kind && r.Device == device);

    /// <summary>Seconds for <paramref name="tokens"/> of <paramref name="kind"/> with the model as placed: the bytes it
    /// reads on the GPU at the GPU's rate plus those it reads from RAM at the CPU's.</summary>
    public static (double Seconds, IReadOnlyList<ThroughputRow> From) Estimate(
        WorkKind kind, FittedModel m, double tokens)
    {
        var (gpu, host) = ActiveBytes(m);
        var rows = new List<ThroughputRow>();
        double perToken = 0;
        if (gpu > 0) { var r = For(kind, "gpu"); rows.Add(r); perToken += gpu / r.BytesPerSecond; }
        if (host > 0) { var r = For(kind, "cpu"); rows.Add(r); perToken += host / r.BytesPerSecond; }
        return (tokens * perToken, rows);
    }

    /// <summary>Weight bytes one token reads on the GPU and from RAM under the placement.</summary>
    public static (double Gpu, double Host) ActiveBytes(FittedModel m)
    {
        var w = m.Weights;
        var d = w.Dims;
        var p = m.Placement;
        double gpu = 0, host = 0;
        for (int b = 0; b < d.Layers; b++)
        {
            double dense = w.Blocks[b].Dense, experts = w.Blocks[b].Experts * d.ExpertFraction;
            if (p.BlockOnGpu(b, d)) gpu += dense; else host += dense;
            if (p.ExpertsOnGpu(b, d)) gpu += experts; else host += experts;
        }
        if (p.HeadOnGpu) gpu += w.Output; else host += w.Output;
        return (gpu, host);
    }

    /// <summary>Appends a measured rate to <see cref="UserFile"/> (what `bench --record` does).</summary>
    public static void Record(ThroughputRow row)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(UserFile)!);
        var o = new JsonObject
        {
            ["kind"] = row.Kind.ToString().ToLowerInvariant(), ["device"] = row.Device,
            ["active_gib"] = Math.Round(row.ActiveGib, 4), ["tokens_per_second"] = Math.Round(row.TokensPerSecond, 2),
            ["source"] = row.Source,
        };
        File.AppendAllText(UserFile, o.ToJsonString() + "\n");
    }

    private static IEnumerable<ThroughputRow> ReadUser()
    {
        if (!File.Exists(UserFile)) yield break;
        foreach (var line in File.ReadLines(UserFile))
        {
            ThroughputRow? row = null;
            try
            {
                if (JsonNode.Parse(line) is JsonObject o
                    && Enum.TryParse<WorkKind>((string?)o["kind"], true, out var kind)
                    && (string?)o["device"] is "cpu" or "gpu" && (double?)o["active_gib"] is > 0 and double gib
                    && (double?)o["tokens_per_second"] is > 0 and double tps)
                    row = new ThroughputRow(kind, (string)o["device"]!, gib, tps, (string?)o["source"] ?? UserFile);
            }
            catch (JsonException) { }  // a damaged line is skipped: the defaults still give an estimate
            catch (InvalidOperationException) { }
            if (row is not null) yield return row;
        }
    }
}
