using System.CommandLine;
using Merlinite.Engine.Models;

namespace Merlinite.Cli.Commands;

/// <summary>The positional MODEL, runtime flags and LoRA adapters of chat and generate.</summary>
public sealed class ModelOptions
{
    private readonly RuntimeFlags _runtime = new(defaultContext: 4096);

    public Argument<FileInfo> Model { get; } = new("MODEL") { Description = "the GGUF model file (see gguf/README.md)" };
    public Option<string[]> Lora { get; } = new("--lora") { Description = "LoRA adapter to apply, ADAPTER.gguf[:scale] (repeatable; scale defaults to 1)", AllowMultipleArgumentsPerToken = false, HelpName = "ADAPTER[:scale]" };

    public void AddTo(Command command)
    {
        command.Add(Model);
        _runtime.AddTo(command);
        command.Add(Lora);
    }

    public ModelLoadOptions Read(ParseResult parse) =>
        _runtime.Read(parse, parse.GetValue(Model)!) with { Loras = (parse.GetValue(Lora) ?? []).Select(ParseLora).ToArray() };

    internal static LoraSpec ParseLora(string text)
    {
        try { return LoraSpec.Parse(text); }
        catch (FormatException e) { throw new Infrastructure.UsageException(e.Message); }
    }
}
