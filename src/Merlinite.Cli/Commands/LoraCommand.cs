using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Llama;
using Merlinite.Engine.Models;
using Merlinite.Gguf.Lora;

namespace Merlinite.Cli.Commands;

/// <summary>merlinite lora merge: fold adapters into the base weights, optionally quantizing the result.</summary>
public static class LoraCommand
{
    public static Command Create() => new("lora", "LoRA adapter tools.") { CreateMerge(), CreateExport(), CreateImport() };

    private static Command CreateExport()
    {
        var baseModel = Flags.Required<FileInfo>("model", "the base GGUF model the adapter belongs to (its head counts undo llama.cpp's q/k row order)", "M.gguf");
        var input = Flags.Required<FileInfo>("input", "the GGUF LoRA adapter (llama.cpp's format, as merlinite train writes it)", "A.gguf");
        var output = Flags.Required<DirectoryInfo>("out", "the folder to write adapter_model.safetensors and adapter_config.json into", "DIR");
        var restart = Restart.Create("replace adapter files in the folder that this export did not make (another " +
            "adapter, another merlinite lora export, files with no .meta.json record). Without it such files are " +
            "refused");
        var cmd = new Command("export", "Write a GGUF LoRA adapter in Hugging Face PEFT's layout (adapter_model.safetensors + adapter_config.json), for Mistral and Mixtral.")
        {
            baseModel, input, output, restart,
        };
        cmd.SetAction(parse =>
        {
            var model = parse.GetValue(baseModel)!.FullName;
            string adapter = parse.GetValue(input)!.FullName;
            ModelFiles.CheckModel(model, "model");
            ModelFiles.CheckAdapter(adapter, "input");
            string folder = parse.GetValue(output)!.FullName;
            if (File.Exists(folder)) throw new UsageException($"--out {folder}: is a file; give a folder");
            var outputs = PeftAdapter.Files(folder).Select(f => new Engine.Outputs.OutputFile(f)).ToList();
            var made = new Engine.Outputs.Fingerprint("lora export").AddFile("model", model).AddFile("input", adapter);
            if (PrepareAll(outputs, made, Restart.Rule(parse, restart)))
            {
                Console.Error.WriteLine(Restart.UpToDate(folder));
                return ExitCodes.Ok;
            }
            try { PeftAdapter.Export(model, adapter, folder); }
            catch { foreach (var o in outputs) o.ForgetIfUnstarted(); throw; }
            Console.WriteLine($"wrote {Path.Combine(folder, PeftAdapter.ModelFile)} and {PeftAdapter.ConfigFile}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Prepares every file of a multi-file output; true when all are complete. When one is refused, the
    /// records already written for the others go too, so a refused run leaves nothing behind.</summary>
    private static bool PrepareAll(IReadOnlyList<Engine.Outputs.OutputFile> outputs, Engine.Outputs.Fingerprint made,
        Engine.Outputs.ReuseRule reuse)
    {
        bool complete = true;
        try
        {
            foreach (var o in outputs) complete &= o.Prepare(made, reuse);
        }
        catch
        {
            foreach (var o in outputs) o.ForgetIfUnstarted();
            throw;
        }
        return complete;
    }

    private static Command CreateImport()
    {
        var baseModel = Flags.Required<FileInfo>("model", "the base GGUF model the adapter belongs to (its head counts give llama.cpp's q/k row order)", "M.gguf");
        var input = Flags.Required<DirectoryInfo>("input", "a PEFT adapter folder (adapter_model.safetensors + adapter_config.json)", "DIR");
        var output = Flags.Required<FileInfo>("out", "the GGUF LoRA adapter to write (use it with --lora)", "A.gguf");
        var cmd = new Command("import", "Read a Hugging Face PEFT LoRA adapter (Mistral or Mixtral) into llama.cpp's GGUF format.")
        {
            baseModel, input, output,
        };
        cmd.SetAction(parse =>
        {
            var model = parse.GetValue(baseModel)!.FullName;
            ModelFiles.CheckModel(model, "model");
            var folder = parse.GetValue(input)!;
            if (!folder.Exists) throw new UsageException($"--input {folder.FullName}: no such folder");
            var outFile = new Engine.Outputs.OutputFile(parse.GetValue(output)!.FullName);
            outFile.EnsureWritable([("model", model), .. PeftAdapter.Files(folder.FullName).Select(f => ("input", f))]);
            PeftAdapter.Import(model, folder.FullName, outFile.Path);
            Console.WriteLine($"wrote {outFile.Path}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command CreateMerge()
    {
        var baseModel = Flags.Required<FileInfo>("model", "the base GGUF model", "M.gguf");
        var lora = Flags.Required<string[]>("lora", "adapter to merge, ADAPTER.gguf[:scale] (repeatable; applied in order)", "ADAPTER[:scale]");
        var output = Flags.Required<FileInfo>("out", "the merged GGUF to write", "M2.gguf");
        var type = new Option<string?>("--type") { Description = $"quantize the merged model to this type ({string.Join(", ", LlamaQuantizer.TypeNames)}); default: keep the base's types (weights in K-quants etc. become f16)" };
        var threads = Flags.Threads("quantization threads (0 = one per core)");
        var cmd = new Command("merge", "Merge LoRA adapters into a base model: W' = W + scale·(alpha/r)·B·A for every adapted weight. The output appears only when complete.")
        {
            baseModel, lora, output, type, threads,
        };
        cmd.SetAction(parse =>
        {
            var basePath = parse.GetValue(baseModel)!;
            var adapters = (parse.GetValue(lora) ?? []).Select(LoraSpec.Parse).ToList();
            ModelFiles.CheckModel(basePath.FullName, "model");
            foreach (var a in adapters) ModelFiles.CheckAdapter(a.Path);
            var outFile = new Engine.Outputs.OutputFile(parse.GetValue(output)!.FullName);
            string outPath = outFile.Path;
            outFile.EnsureWritable([("model", basePath.FullName), .. adapters.Select(a => ("lora", a.Path))]);
            string? typeName = parse.GetValue(type);
            if (typeName is not null && !LlamaQuantizer.TypeNames.Contains(typeName, StringComparer.OrdinalIgnoreCase))
                throw new UsageException($"--type '{typeName}' is not one of {string.Join(", ", LlamaQuantizer.TypeNames)}");

            string merged = typeName is null ? outPath : outPath + ".merged-f.gguf";
            try
            {
                var result = ProgressDisplay.Run($"merge {Path.GetFileName(outPath)}", sink =>
                    LoraMerger.Merge(basePath.FullName, adapters.Select(a => (Path.GetFullPath(a.Path), a.Scale)).ToList(), merged, f => sink.Report(f)));
                foreach (var note in result.Requantized.Take(3)) Console.Error.WriteLine($"note: {note} (no encoder for the base type; use --type to requantize)");
                Console.Error.WriteLine($"merged {result.MergedTensors} weights, copied {result.CopiedTensors}");
                if (typeName is not null) QuantizeCommand.QuantizeFile(merged, outPath, typeName, parse.GetValue(threads));
            }
            finally
            {
                if (typeName is not null && File.Exists(merged)) File.Delete(merged);
            }
            Console.WriteLine($"wrote {outPath} ({new FileInfo(outPath).Length / 1048576.0:F1} MiB)");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
