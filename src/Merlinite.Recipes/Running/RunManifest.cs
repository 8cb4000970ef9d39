using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Merlinite.Recipes.Running;

/// <summary>
/// manifest.json of a run directory: the recipe's hash, the model files' hashes, tool versions and the status of every
/// phase. A phase is marked done only after its output is complete, and the file is replaced atomically, so a run
/// killed at any point resumes from the first phase not marked done.
/// </summary>
public sealed class RunManifest
{
    private readonly string _path;
    private readonly JsonObject _root;

    private RunManifest(string path, JsonObject root)
    {
        _path = path;
        _root = root;
    }

    public static RunManifest OpenOrCreate(string runDir, LoadedRecipe recipe, bool force)
    {
        string path = Path.Combine(runDir, "manifest.json");
        if (File.Exists(path))
        {
            var existing = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            string? oldHash = existing["recipe_sha256"]?.GetValue<string>();
            if (oldHash != recipe.Sha256 && !force)
                throw new InvalidOperationException(
                    $"{path} belongs to a different version of the recipe (sha256 {oldHash?[..12]} vs {recipe.Sha256[..12]}); " +
                    "rerun with --force to continue with the changed recipe, or choose another output.dir");
            existing["recipe_sha256"] = recipe.Sha256;
            var m = new RunManifest(path, existing);
            m.Save();
            return m;
        }
        var root = new JsonObject
        {
            ["recipe"] = recipe.File,
            ["recipe_sha256"] = recipe.Sha256,
            ["tool_versions"] = new JsonObject
            {
                ["merlinite"] = Merlinite.Engine.EngineInfo.MerliniteVersion,
                ["llama_cpp"] = Merlinite.Engine.EngineInfo.LlamaCppVersion,
            },
            ["models"] = new JsonObject(),
            ["phases"] = new JsonObject(),
        };
        var manifest = new RunManifest(path, root);
        manifest.Save();
        return manifest;
    }

    /// <summary>Records the SHA-256 of a model file (once per path, size and modification time).</summary>
    public void RecordModel(string role, string path)
    {
        var models = _root["models"]!.AsObject();
        var info = new FileInfo(path);
        if (models[role] is JsonObject old && old["path"]?.GetValue<string>() == path
            && old["bytes"]?.GetValue<long>() == info.Length && old["modified"]?.GetValue<string>() == info.LastWriteTimeUtc.ToString("O"))
            return;
        using var stream = File.OpenRead(path);
        models[role] = new JsonObject
        {
            ["path"] = path,
            ["bytes"] = info.Length,
            ["modified"] = info.LastWriteTimeUtc.ToString("O"),
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(stream)),
        };
        Save();
    }

    public bool IsDone(string phase) => _root["phases"]![phase]?["status"]?.GetValue<string>() == "done";

    public void MarkDone(string phase, JsonObject? details = null)
    {
        var entry = details ?? new JsonObject();
        entry["status"] = "done";
        _root["phases"]![phase] = entry;
        Save();
    }

    public JsonObject? Details(string phase) => _root["phases"]![phase] as JsonObject;

    private void Save()
    {
        string temp = _path + ".tmp";
        File.WriteAllText(temp, _root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(temp, _path, overwrite: true);
    }
}
