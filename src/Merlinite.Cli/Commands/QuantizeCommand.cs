using System.CommandLine;
using System.Text.RegularExpressions;
using Merlinite.Cli.Infrastructure;
using Merlinite.Llama;
using Merlinite.Llama.Native;

namespace Merlinite.Cli.Commands;

public static partial class QuantizeCommand
{
    internal static readonly Dictionary<string, LlamaFtype> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        ["f32"] = LlamaFtype.AllF32, ["f16"] = LlamaFtype.MostlyF16, ["bf16"] = LlamaFtype.MostlyBF16,
        ["q8_0"] = LlamaFtype.MostlyQ8_0, ["q6_k"] = LlamaFtype.MostlyQ6_K,
        ["q5_k_m"] = LlamaFtype.MostlyQ5_K_M, ["q5_k_s"] = LlamaFtype.MostlyQ5_K_S, ["q5_0"] = LlamaFtype.MostlyQ5_0, ["q5_1"] = LlamaFtype.MostlyQ5_1,
        ["q4_k_m"] = LlamaFtype.MostlyQ4_K_M, ["q4_k_s"] = LlamaFtype.MostlyQ4_K_S, ["q4_0"] = LlamaFtype.MostlyQ4_0, ["q4_1"] = LlamaFtype.MostlyQ4_1,
        ["q3_k_l"] = LlamaFtype.MostlyQ3_K_L, ["q3_k_m"] = LlamaFtype.MostlyQ3_K_M, ["q3_k_s"] = LlamaFtype.MostlyQ3_K_S,
        ["q2_k"] = LlamaFtype.MostlyQ2_K,
    };

    public static Command Create()
    {
        var input = Flags.Required<FileInfo>("model", "the GGUF model to quantize (F32/F16/BF16 for best results)", "IN.gguf");
        var output = Flags.Required<FileInfo>("out", "the GGUF file to write", "OUT.gguf");
        var type = new Option<string>("--type") { Description = $"target type: {string.Join(", ", Types.Keys)}", DefaultValueFactory = _ => "q4_k_m", HelpName = "type" };
        type.AcceptOnlyFromAmong([.. Types.Keys]);
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
            var ftype = Types[parse.GetValue(type)!];

            QuantizeFile(inFile.FullName, outPath, ftype, parse.GetValue(threads));
            Console.WriteLine($"wrote {outPath} ({LlamaQuantizer.FtypeName(ftype)}, {new FileInfo(outPath).Length / 1048576.0:F1} MiB)");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Quantizes through llama.cpp into OUT.partial, renamed to OUT only when complete.</summary>
    internal static void QuantizeFile(string inPath, string outPath, LlamaFtype ftype, int threads)
    {
        var p = LlamaQuantizer.DefaultParams();
        p.ftype = ftype;
        p.nthread = threads;
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
                LlamaQuantizer.Quantize(inPath, partial, p);
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
