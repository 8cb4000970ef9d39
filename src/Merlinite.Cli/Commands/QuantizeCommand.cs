using System.CommandLine;
using System.Text.RegularExpressions;
using Merlinite.Cli.Infrastructure;
using Merlinite.Llama;

namespace Merlinite.Cli.Commands;

public static partial class QuantizeCommand
{
    public static Command Create()
    {
        var input = Flags.Required<FileInfo>("model", "the GGUF model to quantize (F32/F16/BF16 for best results)", "IN.gguf");
        var output = Flags.Required<FileInfo>("out", "the GGUF file to write", "OUT.gguf");
        var type = new Option<string>("--type")
        {
            Description = $"target type: {string.Join(", ", LlamaQuantizer.TypeNames)}",
            DefaultValueFactory = _ => "q4_k_m", HelpName = "type",
        };
        type.AcceptOnlyFromAmong([.. LlamaQuantizer.TypeNames]);
        var threads = Flags.Threads("quantization threads (0 = one per core)");

        var cmd = new Command("quantize", "Quantize a GGUF model with llama.cpp's quantizer (e.g. F16 -> Q4_K_M). The output appears only when complete.")
        {
            input, output, type, threads,
        };
        cmd.SetAction(parse =>
        {
            var inFile = parse.GetValue(input)!;
            Engine.Models.ModelFiles.CheckModel(inFile.FullName, "model");
            var outFile = new Engine.Outputs.OutputFile(parse.GetValue(output)!.FullName);
            var outPath = outFile.Path;
            outFile.EnsureWritable([("model", inFile.FullName)]);
            string typeName = parse.GetValue(type)!;
            QuantizeFile(inFile.FullName, outPath, typeName, parse.GetValue(threads));
            Console.WriteLine($"wrote {outPath} ({LlamaQuantizer.Describe(typeName)}, " +
                              $"{new FileInfo(outPath).Length / 1048576.0:F1} MiB)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Quantizes through llama.cpp into OUT.partial, renamed to OUT only when complete.</summary>
    internal static void QuantizeFile(string inPath, string outPath, string typeName, int threads)
    {
        string partial = outPath + ".partial";
        try
        {
            ProgressDisplay.Run($"quantize {Path.GetFileName(outPath)}", sink =>
            {
                // llama.cpp logs "[  12/ 291] name ..." per tensor: that is the only progress signal it gives.
                LlamaRuntime.LogHandler = (_, text) =>
                {
                    var m = TensorLine().Match(text);
                    if (m.Success) sink.Report(double.Parse(m.Groups[1].Value) / double.Parse(m.Groups[2].Value), m.Groups[3].Value);
                };
                LlamaQuantizer.Quantize(inPath, partial, typeName, threads);
                LlamaRuntime.LogHandler = null;
                return 0;
            });
            File.Move(partial, outPath, overwrite: true);
        }
        finally
        {
            LlamaRuntime.LogHandler = null;
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    [GeneratedRegex(@"\[\s*(\d+)/\s*(\d+)\]\s+(\S+)")]
    private static partial Regex TensorLine();
}
