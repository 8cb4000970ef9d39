using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Models;
using Merlinite.Engine.Settings;

namespace Merlinite.Cli.Commands;

/// <summary>How models run (context, GPU offload, threads, attention kernels, log): the flags every model-loading
/// command shares. Defaults come from <see cref="RuntimeSettings"/> and <see cref="ModelSpec"/>.</summary>
/// <param name="defaults">A command's own defaults (serve sizes its context by the model and memory).</param>
/// <param name="contextHelp">What --ctx means for that command.</param>
public sealed class RuntimeFlags(
    bool withFastAttention = true, RuntimeSettings? defaults = null, string? contextHelp = null)
{
    private static readonly RuntimeSettings D = new();

    public Option<int> Ctx { get; } = Flags.Create("context",
        contextHelp ?? "context (KV cache) size in tokens (0 = the model's training context)",
        (defaults ?? D).Context, "N");
    public Option<string> GpuLayers { get; } = Flags.Create("gpu_layers",
        "layers to offload to the GPU: auto (what fits --vram; a mixture of experts keeps its experts in RAM first), " +
        "-1 (all) or N; ignored without a GPU backend", new ModelSpec("").GpuLayersText, "auto|N");
    public Option<double> Vram { get; } = Flags.Create("vram",
        "GPU memory in GiB a model may take with --gpu-layers auto (0 = the GPUs' free memory minus 1 GiB)", D.Vram, "GiB");
    public Option<int> Threads { get; } = Flags.Create("threads", "CPU threads (0 = one per core)", D.Threads, "N");
    public Option<bool> FastAttention { get; } = Flags.Create("fast_attn",
        "llama.cpp's attention defaults (F16 KV cache, flash attention): half the KV memory and faster on GPUs, but log-probs move by up to ~5e-3 per token and samples then depend on --parallel; the default is an F32 cache without flash attention", D.FastAttention);
    public Option<bool> Verbose { get; } = Flags.Create("verbose", "show llama.cpp's own log on stderr", D.Verbose);
    public Option<bool> Reproducible { get; } = Flags.Reproducible();

    public void AddTo(Command command)
    {
        command.Add(Ctx); command.Add(GpuLayers); command.Add(Vram); command.Add(Threads); command.Add(Verbose); command.Add(Reproducible);
        if (withFastAttention) command.Add(FastAttention);
    }

    public RuntimeSettings Read(ParseResult parse) => new()
    {
        Context = parse.GetValue(Ctx), Threads = parse.GetValue(Threads), Vram = parse.GetValue(Vram),
        FastAttention = withFastAttention ? parse.GetValue(FastAttention) : D.FastAttention, Verbose = parse.GetValue(Verbose),
    };

    /// <summary>True when the user gave --ctx (not its default).</summary>
    public bool ContextGiven(ParseResult parse) => parse.GetResult(Ctx) is { Implicit: false };

    /// <summary>The model file a flag or argument names, with the GPU layers and adapters given.</summary>
    public ModelSpec Model(ParseResult parse, FileInfo file, IEnumerable<string>? loras = null) => new(file.FullName)
    {
        GpuLayers = ModelSpec.ParseGpuLayers(parse.GetValue(GpuLayers)!), Loras = (loras ?? []).Select(LoraSpec.Parse).ToArray(),
    };
}
