using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Gguf;

namespace Merlinite.Cli.Commands;

public static class GgufCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "a GGUF file" };
        var json = new Option<bool>("--json") { Description = "machine-readable output" };
        var full = new Option<bool>("--full") { Description = "print long arrays (e.g. the vocabulary) in full instead of summarised" };
        var info = new Command("info", "Print what a GGUF file is (architecture, parameters, weight types, context, vocabulary; rank and alpha for a LoRA adapter), then its metadata and tensor table (like gguf-dump). Reads the file itself; no llama.cpp involved.")
        {
            file, json, full,
        };
        info.SetAction(parse =>
        {
            var f = parse.GetValue(file)!;
            if (!f.Exists) throw new UsageException($"file not found: {f.FullName}");
            using var gguf = GgufFile.Open(f.FullName);
            Console.Out.Write(parse.GetValue(json)
                ? GgufInfo.ToJson(gguf, parse.GetValue(full))
                : GgufInfo.ToText(gguf, parse.GetValue(full), Llama.LlamaQuantizer.FileTypeName));
            return ExitCodes.Ok;
        });
        return new Command("gguf", "Inspect GGUF files.") { info };
    }
}
