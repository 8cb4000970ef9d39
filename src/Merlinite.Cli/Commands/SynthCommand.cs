using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Synth;

namespace Merlinite.Cli.Commands;

public static class SynthCommand
{
    public static Command Create()
    {
        var arch = new Option<string>("--arch") { Description = "mistral (dense) or mixtral (8 experts, top-2). Default: the preset's.", HelpName = "mistral|mixtral" };
        var preset = new Option<string>("--preset") { Description = "tiny (tests), small (~50M, CPU benchmarks), mistral-7b, mixtral-8x7b (full-size shapes)", DefaultValueFactory = _ => "tiny", HelpName = "name" };
        var dims = new Option<string?>("--dims") { Description = $"override preset dimensions, e.g. n_embd=128,n_layer=4 (keys: {string.Join(", ", SynthParsing.DimensionKeys)})", HelpName = "k=v,..." };
        var seed = new Option<ulong>("--seed") { Description = "random seed; the same seed gives a byte-identical file", DefaultValueFactory = _ => 1 };
        var type = new Option<string?>("--type") { Description = "stored weight type: f32 (default for tiny/small), f16 (default for 7B presets), bf16, q8_0", HelpName = "type" };
        var shapeOnly = new Option<bool>("--shape-only") { Description = $"write the model's shape without weights: metadata and tensor table, every tensor's bytes a hole (a sparse file of the real size, written at once, zero weights). For planning memory (run --dry-run). --type may then also be {string.Join(", ", ShapeOnlyTypes.Names.Skip(4))} (q4_k_m: llama.cpp's Q4_K_M mix)" };
        var output = new Option<FileInfo>("--out", "-o") { Description = "the GGUF file to write", Required = true, HelpName = "FILE.gguf" };

        var cmd = new Command("synth", "Write a random-weight Mistral/Mixtral GGUF with a small SentencePiece-style vocabulary (Merlinite's special tokens included). Deterministic per seed.")
        {
            arch, preset, dims, seed, type, shapeOnly, output,
        };
        cmd.SetAction(parse =>
        {
            var options = new SynthOptions
            {
                Arch = parse.GetValue(arch) is { } a ? Parse(() => SynthParsing.ParseArch(a)) : null,
                Preset = Parse(() => SynthParsing.ParsePreset(parse.GetValue(preset)!)),
                Dimensions = Parse(() => SynthParsing.ParseDimensions(parse.GetValue(dims))),
                Seed = parse.GetValue(seed),
                StoredType = parse.GetValue(type) is { } t && !parse.GetValue(shapeOnly) ? Parse(() => SynthParsing.ParseStoredType(t)) : null,
            };
            var outFile = new Engine.Outputs.OutputFile(parse.GetValue(output)!.FullName);
            outFile.EnsureWritable();
            var path = outFile.Path;
            if (parse.GetValue(shapeOnly))
            {
                string typeName = (parse.GetValue(type) ?? "f16").ToLowerInvariant();
                if (!ShapeOnlyTypes.Names.Contains(typeName))
                    throw new UsageException($"--type '{typeName}' is not a shape-only type: use one of {string.Join(", ", ShapeOnlyTypes.Names)}");
                var shape = Parse(() => ModelSynthesizer.SynthesizeShape(options, typeName, path));
                long bytes = Engine.Placement.ModelWeights.Read(path).Total;
                Console.WriteLine($"wrote {path}: the shape of {SynthParsing.FormatArch(shape.Arch)} {SynthParsing.FormatPreset(shape.Preset)}, " +
                    $"{shape.ParameterCount / 1e6:F2}M parameters ({typeName}), {shape.TensorCount} tensors, " +
                    $"{bytes / 1073741824.0:F2} GiB of zero weights as holes (a sparse file)");
                return ExitCodes.Ok;
            }
            var result = ProgressDisplay.Run($"synth {Path.GetFileName(path)}", sink =>
                ModelSynthesizer.Synthesize(options with { Progress = p => sink.Report(p.Fraction, p.TensorName) }, path));
            var hp = result.HyperParameters;
            Console.WriteLine($"wrote {path}: {SynthParsing.FormatArch(result.Arch)} {SynthParsing.FormatPreset(result.Preset)}, " +
                $"{result.ParameterCount / 1e6:F2}M parameters ({SynthParsing.FormatStoredType(result.StoredType)}), " +
                $"{result.TensorCount} tensors, {result.FileBytes / 1048576.0:F1} MiB");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static T Parse<T>(Func<T> parse)
    {
        try { return parse(); }
        catch (FormatException e) { throw new UsageException(e.Message); }
    }
}
