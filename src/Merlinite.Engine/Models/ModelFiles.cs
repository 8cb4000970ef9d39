using Merlinite.Engine.Data;
using Merlinite.Engine.Settings;
using Merlinite.Gguf;

namespace Merlinite.Engine.Models;

/// <summary>
/// Checks a model or adapter file before llama.cpp sees it, so a wrong file gets one clear line instead of llama.cpp's
/// chain of loader errors: missing, a folder, not GGUF at all, or a model where an adapter belongs (and the reverse).
/// </summary>
public static class ModelFiles
{
    /// <param name="key">The setting that names the file ("model", "instruct_model", ...), for the message.</param>
    public static void CheckModel(string path, string key) => Check(path, key, adapter: false);

    public static void CheckAdapter(string path, string key = "lora") => Check(path, key, adapter: true);

    private static void Check(string path, string key, bool adapter)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new SettingException(key, $"{full} is a folder, not a GGUF file");
        if (!File.Exists(full)) throw new SettingException(key, $"file not found: {full}");
        string? type;
        try
        {
            using var gguf = GgufFile.Open(full);
            type = gguf.Metadata.GetStringOrDefault("general.type");
        }
        catch (GgufFormatException e) { throw new InputFormatException(e.Message); }
        catch (IOException e) { throw new InputFormatException($"{full}: cannot be read ({e.Message})"); }
        if (adapter && type != "adapter")
            throw new InputFormatException($"{full} is {(type is null ? "not" : $"a {type} (general.type), not")} a LoRA adapter; adapters are GGUF files with general.type = adapter (merlinite train writes them)");
        if (!adapter && type == "adapter")
            throw new InputFormatException($"{full} is a LoRA adapter, not a model; apply it to its base model as a LoRA adapter");
    }
}
