using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Models;
using Merlinite.Engine.Packing;

namespace Merlinite.Cli.Commands;

public static class PackCommand
{
    public static Command Create()
    {
        var model = Flags.Required<FileInfo>("model", "the GGUF model to ship", "M.gguf");
        var lora = Flags.Optional<string[]>("lora",
            "LoRA adapter packed beside the model and applied at every start, ADAPTER.gguf[:scale] (repeatable)",
            "ADAPTER[:scale]");
        var output = Flags.Required<FileInfo>("out", "the chat binary to write", "FILE");
        var system = Flags.Optional<string?>("system",
            "system prompt of the chat (default: the template's; \"\" for none)");
        var template = ScoringFlags.Template(ChatTemplate.Merlinite,
            "merlinite: Merlinite's chat template; model: the GGUF's own; raw: the texts as they are");
        var name = Flags.Optional<string?>("name",
            "what the chat calls itself (default: the output's file name)", "NAME");
        var cmd = new Command("pack", """
            Write one executable file that holds this engine, the model, its adapters and the chat settings:
            ./FILE opens the chat, ./FILE -p "..." answers once, ./FILE serve starts the OpenAI-compatible server
            with the chat page, ./FILE info tells what is inside. From the single-file build it needs nothing
            installed on an x86-64 Linux with AVX2; the model is unpacked once into ~/.cache/merlinite/packs at its
            first start.
            """)
        {
            model, lora, output, system, template, name,
        };
        cmd.SetAction((parse, ct) =>
        {
            var request = new PackRequest(
                parse.GetValue(model)!.FullName, (parse.GetValue(lora) ?? []).Select(LoraSpec.Parse).ToArray(),
                parse.GetValue(system), ChatTemplates.Parse(parse.GetValue(template)!), parse.GetValue(name));
            var engine = PackEngine.Current();
            string outPath = parse.GetValue(output)!.FullName;
            var result = ProgressDisplay.Run($"pack {Path.GetFileName(outPath)}", sink =>
                PackWriter.Write(request, outPath, engine, (done, total) => sink.Report((double)done / total), ct));
            Console.WriteLine(
                $"wrote {result.Path} ({result.Bytes / 1e6:F1} MB): try {ShellPath(result.Path)} -p \"hi\"");
            if (result.LibrariesBeside.Count > 0)
                Console.Error.WriteLine(
                    $"note: this merlinite loads llama.cpp from libraries; {result.LibrariesBeside.Count} were " +
                    "copied beside the chat binary and must travel with it (the single-file build, ./build.sh, needs " +
                    "none)");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    /// <summary>How to run the file from here: ./NAME in this folder, else its path.</summary>
    internal static string ShellPath(string path)
    {
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path
            : relative.Contains('/') ? relative : "./" + relative;
    }
}
