using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Settings;
using Merlinite.Llama;

namespace Merlinite.Engine.Jobs;

/// <summary>Fingerprint entries every model-running job records the same way.</summary>
internal static class JobSupport
{
    /// <summary>An input file that must exist: a missing one is a problem with the setting that named it.</summary>
    public static SettingProblem? InputProblem(string key, string? path) =>
        path is null ? null
        : Directory.Exists(path) ? new SettingProblem(key, $"{Path.GetFullPath(path)} is a folder, not a file")
        : !File.Exists(path) ? new SettingProblem(key, $"file not found: {Path.GetFullPath(path)}")
        : null;

    /// <summary>The model file, its adapters and, where a GPU backend exists, its offloaded layers (GPU kernels round
    /// differently from the CPU's; without a GPU the setting changes nothing and is recorded as 0).</summary>
    public static Fingerprint AddModel(this Fingerprint f, string key, ModelSpec model)
    {
        f.AddFile(key, model.Path);
        string loraKey = key == "model" ? "lora" : key + "_lora";
        foreach (var lora in model.Loras) f.Reads(loraKey, lora.Path);
        if (model.Loras.Count > 0)
            f.Add(new Fingerprint.Entry(loraKey,
                string.Join(",", model.Loras.Select(l => $"{FileHashes.Sha256(l.Path)}:{l.Scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}")),
                string.Join(", ", model.Loras.Select(l => l.ToString()))));
        return f.Add(key == "model" ? "gpu_layers" : key + "_gpu_layers", LlamaRuntime.SupportsGpuOffload ? model.GpuLayersText : "0");
    }

    public static Fingerprint AddRuntime(this Fingerprint f, RuntimeSettings r) => f.Add("context", r.Context).Add("fast_attn", r.FastAttention);

    public static IEnumerable<SettingProblem?> ModelProblems(string key, ModelSpec model)
    {
        yield return model.GpuLayers is int n ? Require.AtLeast(key == "model" ? "gpu_layers" : key + "_gpu_layers", n, -1) : null;
        yield return string.IsNullOrEmpty(model.Path) ? new SettingProblem(key, "no model file given") : InputProblem(key, model.Path);
        foreach (var lora in model.Loras) yield return InputProblem(key == "model" ? "lora" : key + "_lora", lora.Path);
    }

    /// <summary>Looks inside the model and adapter files (GGUF, the right kind) before any output is touched.</summary>
    public static void CheckFiles(string key, ModelSpec model)
    {
        ModelFiles.CheckModel(model.Path, key);
        foreach (var lora in model.Loras) ModelFiles.CheckAdapter(lora.Path);
    }
}
