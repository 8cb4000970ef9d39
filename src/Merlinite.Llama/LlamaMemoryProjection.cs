using System.Globalization;
using System.Text.RegularExpressions;

namespace Merlinite.Llama;

/// <summary>What a buffer holds: weights, the KV cache, the logits/embeddings output, or the compute graph.</summary>
public enum LlamaMemoryKind { Model, Kv, Output, Compute }

/// <summary>One buffer llama.cpp would allocate (<see cref="Buffer"/> is ggml's name: CPU, CPU_Mapped, CUDA0, ...).
/// <see cref="Bytes"/> is null where llama.cpp does not say (see <see cref="LlamaMemoryProjection"/>).</summary>
public readonly record struct LlamaBufferProjection(string Buffer, LlamaMemoryKind Kind, long? Bytes);

/// <summary>
/// llama.cpp's own memory figures for a model and context, taken without allocating
/// (<see cref="LlamaModel.ProjectMemory"/>).
/// Where they come from (llama.cpp v0.5.0, measured):
/// <list type="bullet">
/// <item>Compute and output buffers: the INFO lines "X compute buffer size = N MiB" and "X output buffer size = N MiB",
/// per buffer, printed with 2 decimals (so ± <see cref="LogRoundingBytes"/> each). Under no_alloc the compute figure is
/// the one the scheduler reserved for the worst-case graph; a real context allocates the same (its destructor's debug
/// line "matches expectation" says so).</item>
/// <item>Model: <c>llama_model_size</c>, the exact sum of tensor bytes. Under no_alloc llama.cpp logs every model
/// buffer as 0.00 MiB (a zero-size placeholder), so only the buffer names come from the log; a real load pads each tensor
/// to the buffer's alignment (32 bytes on the CPU), a few KiB at most.</item>
/// <item>KV: the summary line "llama_kv_cache: size = N MiB (C cells, ...)" (one per cache; 2 decimals of a float),
/// because the per-buffer "KV buffer size" lines are 0.00 under no_alloc as well.</item>
/// </list>
/// So a model or KV buffer has <see cref="LlamaBufferProjection.Bytes"/> only when it is the only buffer of its kind
/// (always so on a CPU-only build without repacking); split across devices, only the total is known.
/// </summary>
public sealed record LlamaMemoryProjection
{
    /// <summary>Half of the 0.01 MiB the log prints (0.005 × 2^20 = 5242.88, rounded up).</summary>
    public const long LogRoundingBytes = 5243;

    public required IReadOnlyList<LlamaBufferProjection> Buffers { get; init; }
    /// <summary>Bytes of all weights (<c>llama_model_size</c>), exact.</summary>
    public required long ModelBytes { get; init; }
    /// <summary>Bytes of the KV cache (K and V, every layer and stream), ± <see cref="LogRoundingBytes"/> per
    /// cache.</summary>
    public required long KvBytes { get; init; }
    /// <summary>KV cells of one stream as llama.cpp sized them (the largest cache's): n_ctx padded to 256 with one
    /// stream (one sequence, or kv_unified); with one stream per sequence, n_ctx / n_seq padded to 256.</summary>
    public required int KvCellsPerStream { get; init; }
    /// <summary><c>llama_n_ctx</c> of the projected context.</summary>
    public required int ContextSize { get; init; }
    /// <summary>Tensors that a CPU pattern moved, with the buffer type they went to (llama.cpp's debug log).</summary>
    public required IReadOnlyList<(string Tensor, string Buffer)> TensorOverrides { get; init; }

    /// <summary>The total of one kind (model and KV from their totals, output and compute from their
    /// buffers).</summary>
    public long Total(LlamaMemoryKind kind) => kind switch
    {
        LlamaMemoryKind.Model => ModelBytes,
        LlamaMemoryKind.Kv => KvBytes,
        _ => Buffers.Where(b => b.Kind == kind).Sum(b => b.Bytes ?? 0),
    };

    /// <summary>Everything: model + KV + output + compute.</summary>
    public long TotalBytes => Enum.GetValues<LlamaMemoryKind>().Sum(Total);

    /// <summary>Bytes of every kind in one buffer (e.g. "CPU"); null when a model or KV share of it is
    /// unknown.</summary>
    public long? BufferBytes(string buffer)
    {
        long sum = 0;
        foreach (var b in Buffers.Where(b => b.Buffer == buffer))
        {
            if (b.Bytes is not long n) return null;
            sum += n;
        }
        return sum;
    }

    // "load_tensors:          CPU model buffer size =     0.00 MiB", "llama_kv_cache: CPU KV buffer size = ...",
    // "llama_context:        CPU  output buffer size = ...", "sched_reserve:        CPU compute buffer size = ..."
    private static readonly Regex BufferLine = new(
        @"^\w+: +(?<buf>\S+) +(?<kind>model|KV|output|compute) buffer size = +(?<mib>[0-9]+\.[0-9]+) MiB",
        RegexOptions.CultureInvariant);
    // "llama_kv_cache: size =    0.25 MiB (   512 cells,   2 layers,  1/1 seqs), K (f32): ..."
    private static readonly Regex KvSummary = new(
        @"^llama_kv_cache: size = +(?<mib>[0-9]+\.[0-9]+) MiB \( *(?<cells>[0-9]+) cells,",
        RegexOptions.CultureInvariant);
    // "tensor blk.0.ffn_gate_exps.weight (0 MiB f32) buffer type overridden to CPU"
    private static readonly Regex OverrideLine = new(
        @"^tensor (?<name>\S+) \([0-9]+ MiB \S+\) buffer type overridden to (?<buf>\S+)$",
        RegexOptions.CultureInvariant);

    /// <summary>Reads the figures out of the log of one no_alloc load and context creation.</summary>
    internal static LlamaMemoryProjection Parse(IEnumerable<string> lines, long modelBytes, int contextSize)
    {
        var seen = new List<(string Buffer, LlamaMemoryKind Kind, long Bytes)>();
        var overrides = new List<(string, string)>();
        long kvBytes = 0;
        int kvCells = 0;  // per stream
        foreach (string raw in lines)
        {
            string line = raw.TrimEnd();
            if (BufferLine.Match(line) is { Success: true } m)
            {
                var kind = m.Groups["kind"].Value switch
                {
                    "model" => LlamaMemoryKind.Model,
                    "KV" => LlamaMemoryKind.Kv,
                    "output" => LlamaMemoryKind.Output,
                    _ => LlamaMemoryKind.Compute,
                };
                seen.Add((m.Groups["buf"].Value, kind, Bytes(m.Groups["mib"].Value)));
            }
            else if (KvSummary.Match(line) is { Success: true } k)
            {
                kvBytes += Bytes(k.Groups["mib"].Value);
                kvCells = Math.Max(kvCells, int.Parse(k.Groups["cells"].Value, CultureInfo.InvariantCulture));
            }
            else if (OverrideLine.Match(line) is { Success: true } o)
            {
                overrides.Add((o.Groups["name"].Value, o.Groups["buf"].Value));
            }
        }

        var buffers = new List<LlamaBufferProjection>();
        foreach (var g in seen.GroupBy(s => (s.Buffer, s.Kind)))
        {
            var (buffer, kind) = g.Key;
            long? bytes = g.Sum(s => s.Bytes);
            if (kind is LlamaMemoryKind.Model or LlamaMemoryKind.Kv)
            {
                // Placeholders under no_alloc: the total belongs to the buffer only when it is alone of its kind.
                bool alone = seen.Where(s => s.Kind == kind).Select(s => s.Buffer).Distinct().Count() == 1;
                bytes = alone ? (kind == LlamaMemoryKind.Model ? modelBytes : kvBytes) : null;
            }
            buffers.Add(new LlamaBufferProjection(buffer, kind, bytes));
        }
        return new LlamaMemoryProjection
        {
            Buffers = buffers,
            ModelBytes = modelBytes,
            KvBytes = kvBytes,
            KvCellsPerStream = kvCells,
            ContextSize = contextSize,
            TensorOverrides = overrides,
        };
    }

    private static long Bytes(string mib) =>
        (long)Math.Round(double.Parse(mib, CultureInfo.InvariantCulture) * 1024 * 1024);

    public override string ToString() =>
        string.Join(", ", Buffers.Select(b => $"{b.Buffer} {b.Kind} {(b.Bytes is long n ? n.ToString() : "?")}"))
        + $"; model {ModelBytes}, KV {KvBytes} ({KvCellsPerStream} cells per stream)";
}
