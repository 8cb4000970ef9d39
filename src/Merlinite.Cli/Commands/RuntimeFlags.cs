using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Models;

namespace Merlinite.Cli.Commands;

/// <summary>How a model runs (context, GPU offload, threads, log): the flags every model-loading command shares.</summary>
public sealed class RuntimeFlags(int defaultContext)
{
    public Option<int> Ctx { get; } = new("--ctx", "-c") { Description = "context (KV cache) size in tokens (0 = the model's training context)", DefaultValueFactory = _ => defaultContext };
    public Option<int> GpuLayers { get; } = new("--gpu-layers", "-ngl") { Description = "layers to offload to the GPU (-1 = all; ignored without a GPU backend)", DefaultValueFactory = _ => -1 };
    public Option<int> Threads { get; } = new("--threads", "-t") { Description = "CPU threads (0 = one per core)", DefaultValueFactory = _ => 0 };
    public Option<bool> Verbose { get; } = new("--verbose") { Description = "show llama.cpp's own log on stderr" };

    public void AddTo(Command command)
    {
        command.Add(Ctx); command.Add(GpuLayers); command.Add(Threads); command.Add(Verbose);
    }

    /// <summary>Checks the model file and the values, and returns load options the caller refines with <c>with</c>.</summary>
    public ModelLoadOptions Read(ParseResult parse, FileInfo model)
    {
        if (!model.Exists) throw new UsageException($"model file not found: {model.FullName}");
        int ctx = parse.GetValue(Ctx), threads = parse.GetValue(Threads);
        if (ctx < 0) throw new UsageException($"--ctx must be >= 0 (got {ctx})");
        if (threads < 0) throw new UsageException($"--threads must be >= 0 (got {threads})");
        return new ModelLoadOptions
        {
            Path = model.FullName, ContextSize = ctx, GpuLayers = parse.GetValue(GpuLayers),
            Threads = threads, Verbose = parse.GetValue(Verbose),
        };
    }
}
