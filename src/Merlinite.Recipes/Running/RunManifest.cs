using System.Text.Json;
using System.Text.Json.Nodes;
using Merlinite.Engine;
using Merlinite.Engine.Outputs;

namespace Merlinite.Recipes.Running;

/// <summary>
/// manifest.json of a run directory: a readable summary of the recipe's hash, the model files' hashes, tool versions
/// and each phase's state. What decides whether a phase is redone is not this file but each output's own
/// fingerprint (OUT.meta.json), so an edited recipe recomputes exactly what it changed.
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

    public static RunManifest Open(RunLayout layout, LoadedRecipe recipe)
    {
        Directory.CreateDirectory(layout.Dir);
        JsonObject? old = null;
        try { old = File.Exists(layout.Manifest) ? JsonNode.Parse(File.ReadAllText(layout.Manifest)) as JsonObject : null; }
        catch (JsonException) { } // an unreadable summary is rebuilt; nothing depends on it
        var root = new JsonObject
        {
            ["recipe"] = recipe.File,
            ["recipe_sha256"] = recipe.Sha256,
            ["tool_versions"] = new JsonObject { ["merlinite"] = EngineInfo.MerliniteVersion, ["llama_cpp"] = EngineInfo.LlamaCppVersion },
            ["models"] = new JsonObject(),
            ["phases"] = old?["phases"]?.DeepClone() as JsonObject ?? new JsonObject(),
        };
        var manifest = new RunManifest(layout.Manifest, root);
        var r = recipe.Recipe;
        foreach (var (role, path) in new[] { ("policy", r.Policy.Path), ("instruct", r.Instruct.Path), ("reference", r.Reference.Path) })
            root["models"]![role] = new JsonObject { ["path"] = path, ["sha256"] = FileHashes.Sha256(path) };
        manifest.Save();
        return manifest;
    }

    /// <summary>Records a phase as done, with the digests of the fingerprints of its outputs and the seconds making it
    /// took (<paramref name="seconds"/> null: kept as it was, so the time recorded when it was made stays).</summary>
    /// <param name="join">a sharded phase's seconds spent joining its shards' outputs (0: not sharded).</param>
    public void MarkDone(string phase, IEnumerable<string> digests, double? seconds, double join = 0)
    {
        var phases = _root["phases"]!;
        var made = seconds is double s ? JsonValue.Create(Math.Round(s, 3)) : phases[phase]?["seconds"]?.DeepClone();
        phases[phase] = new JsonObject { ["status"] = "done", ["outputs"] = new JsonArray(digests.Select(d => (JsonNode)d).ToArray()), ["seconds"] = made };
        if (join > 0) phases[phase]!["join_seconds"] = Math.Round(join, 4);
        Save();
    }

    private void Save() => AtomicFile.WriteAllText(_path, _root.ToJsonString(Engine.Data.JsonStyle.Indented) + "\n");
}
