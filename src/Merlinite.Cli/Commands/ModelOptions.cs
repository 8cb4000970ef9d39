using System.CommandLine;
using Merlinite.Engine.Models;

namespace Merlinite.Cli.Commands;

/// <summary>Flags shared by every command that loads a model (chat, generate, and later sample/score).</summary>
public sealed class ModelOptions
{
    public Argument<FileInfo> Model { get; } = new("MODEL") { Description = "the GGUF model file (see gguf/README.md)" };
    public Option<int> Ctx { get; } = new("--ctx", "-c") { Description = "context size in tokens (0 = the model's training context)", DefaultValueFactory = _ => 4096 };
    public Option<int> GpuLayers { get; } = new("--gpu-layers", "-ngl") { Description = "layers to offload to the GPU (-1 = all; ignored without a GPU backend)", DefaultValueFactory = _ => -1 };
    public Option<int> Threads { get; } = new("--threads", "-t") { Description = "CPU threads (0 = one per core)", DefaultValueFactory = _ => 0 };
    public Option<string[]> Lora { get; } = new("--lora") { Description = "LoRA adapter to apply, ADAPTER.gguf[:scale] (repeatable; scale defaults to 1)", AllowMultipleArgumentsPerToken = false, HelpName = "ADAPTER[:scale]" };
    public Option<bool> Verbose { get; } = new("--verbose") { Description = "show llama.cpp's own log on stderr" };

    public void AddTo(Command command)
    {
        command.Add(Model);
        command.Add(Ctx); command.Add(GpuLayers); command.Add(Threads); command.Add(Lora); command.Add(Verbose);
    }

    public ModelLoadOptions Read(ParseResult parse)
    {
        var model = parse.GetValue(Model)!;
        if (!model.Exists) throw new Infrastructure.UsageException($"model file not found: {model.FullName}");
        int ctx = parse.GetValue(Ctx);
        if (ctx < 0) throw new Infrastructure.UsageException($"--ctx must be >= 0 (got {ctx})");
        int threads = parse.GetValue(Threads);
        if (threads < 0) throw new Infrastructure.UsageException($"--threads must be >= 0 (got {threads})");
        var loras = (parse.GetValue(Lora) ?? []).Select(ParseLora).ToArray();
        return new ModelLoadOptions
        {
            Path = model.FullName,
            ContextSize = ctx,
            GpuLayers = parse.GetValue(GpuLayers),
            Threads = threads,
            Loras = loras,
            Verbose = parse.GetValue(Verbose),
        };
    }

    private static LoraSpec ParseLora(string text)
    {
        try { return LoraSpec.Parse(text); }
        catch (FormatException e) { throw new Infrastructure.UsageException(e.Message); }
    }
}
