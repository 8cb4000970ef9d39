using System.Text.Json;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Gguf;

namespace Merlinite.Engine.Packing;

/// <summary>What is refused before a byte is written: inputs that are not what they claim, adapters that do not fit
/// the model, an output that would overwrite an input or not fit on its disk.</summary>
internal static class PackChecks
{
    public static void Inputs(PackRequest request)
    {
        ModelFiles.CheckModel(request.Model, "model");
        foreach (var adapter in request.Adapters)
        {
            ModelFiles.CheckAdapter(adapter.Path);
            AdapterFits(request.Model, adapter.Path);
            SameVocabulary(request.Model, adapter.Path);
        }
    }

    /// <summary>Every weight the adapter changes is in the model, with the rows and columns the adapter was trained
    /// for (an adapter of another model size or architecture would fail at load, or worse, in the user's
    /// hands).</summary>
    private static void AdapterFits(string modelPath, string adapterPath)
    {
        using var model = GgufFile.Open(modelPath);
        using var adapter = GgufFile.Open(adapterPath);
        string name = Path.GetFileName(adapterPath), modelName = Path.GetFileName(modelPath);
        string? arch = model.Metadata.GetStringOrDefault("general.architecture");
        string? adapterArch = adapter.Metadata.GetStringOrDefault("general.architecture");
        if (adapterArch is not null && adapterArch != arch)
            throw new PackException(
                $"{name} is an adapter for a {adapterArch} model; {modelName} is {arch ?? "unknown"}");
        foreach (var a in adapter.Tensors.Where(t => t.Name.EndsWith(".lora_a", StringComparison.Ordinal)))
        {
            string weight = a.Name[..^".lora_a".Length];
            if (!model.TryGetTensor(weight, out var w))
                throw new PackException($"{name} adapts {weight}, which {modelName} does not have: it was trained " +
                                        "for another model");
            bool fits = adapter.TryGetTensor(weight + ".lora_b", out var b)
                        && a.Dimension(0) == w.Dimension(0) && b.Dimension(1) == w.Dimension(1);
            if (!fits)
                throw new PackException($"{name} does not fit {modelName}: {weight} is {w.Dimension(0)} × " +
                                        $"{w.Dimension(1)} in the model, and the adapter was trained for another " +
                                        "shape");
        }
    }

    /// <summary>An adapter merlinite trained records its base model (its .meta.json). When that model is still there
    /// and is not the one packed (a quantized copy, say), the two must tokenize alike: the adapter learned token
    /// ids.</summary>
    private static void SameVocabulary(string modelPath, string adapterPath)
    {
        if (TrainedOn(adapterPath) is not { } basePath || !File.Exists(basePath)) return;
        if (FileIdentity.Same(basePath, modelPath)) return;
        var packed = VocabularyFingerprint.Read(modelPath);
        var trained = VocabularyFingerprint.Read(basePath);
        if (packed.TokenCount == trained.TokenCount && packed.Sha256 == trained.Sha256) return;
        string how = packed.TokenCount == trained.TokenCount ? ", other texts" : "";
        throw new PackException($"{Path.GetFileName(adapterPath)} was trained on {basePath}, whose vocabulary " +
                                $"({trained.TokenCount} tokens) is not {Path.GetFileName(modelPath)}'s " +
                                $"({packed.TokenCount} tokens{how})");
    }

    private static string? TrainedOn(string adapterPath)
    {
        string meta = adapterPath + ".meta.json";
        if (!File.Exists(meta)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(meta));
            if (!doc.RootElement.TryGetProperty("settings", out var settings)) return null;
            foreach (var s in settings.EnumerateArray())
                if (s.TryGetProperty("key", out var k) && k.GetString() == "model"
                    && s.TryGetProperty("file", out var f))
                    return f.GetString();
        }
        catch (JsonException) { } // a damaged sidecar only loses this check; the shapes were checked already
        return null;
    }

    public static void Output(string output, PackRequest request, PackEngine engine, long bytes)
    {
        if (FileIdentity.Same(output, engine.Path))
            throw new PackException($"the output {output} is the running merlinite; write the chat binary elsewhere");
        new OutputFile(output).EnsureWritable(request.Adapters.Select(a => (Key: "lora", a.Path))
            .Prepend(("model", request.Model)));
        string dir = Path.GetDirectoryName(output)!;
        var drive = new DriveInfo(dir);
        // FAT (a USB stick) holds no file of 4 GiB or more; the write would fail after minutes of copying.
        if (bytes >= 4L << 30 && drive.DriveFormat.ToLowerInvariant() is "vfat" or "msdos" or "fat" or "fat32")
            throw new PackException($"{output}: the chat binary takes {bytes / 1e9:F2} GB and {dir} is on a FAT " +
                                    "file system, whose files stop at 4 GiB; write it to another disk");
        long free = drive.AvailableFreeSpace;
        if (free < bytes)
            throw new PackException($"{output}: the chat binary takes {bytes / 1e9:F2} GB and {dir} has " +
                                    $"{free / 1e9:F2} GB free");
    }
}
