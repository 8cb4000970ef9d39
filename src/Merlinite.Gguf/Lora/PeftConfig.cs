using System.Text.Json;
using System.Text.Json.Nodes;

namespace Merlinite.Gguf.Lora;

/// <summary>
/// What an import reads from a PEFT adapter_config.json: that it is a LoRA adapter, and its lora_alpha. A value of the
/// wrong kind is named with the file and the field (a JSON string "8" is not the number 8: PEFT itself would fail on
/// it).
/// </summary>
internal sealed record PeftConfig(float Alpha)
{
    public static PeftConfig Read(string path)
    {
        JsonObject config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e) { throw new GgufFormatException($"{path}: not valid JSON ({e.Message})"); }
        if (config["peft_type"] is { } type && String(path, "peft_type", type) != "LORA")
            throw new GgufFormatException($"{path}: peft_type is {type.ToJsonString()}, not \"LORA\"");
        var alphaNode = config["lora_alpha"] ?? throw new GgufFormatException($"{path}: lora_alpha is missing");
        return new PeftConfig(Number(path, "lora_alpha", alphaNode));
    }

    private static float Number(string path, string key, JsonNode node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out float f) && float.IsFinite(f)
            ? f
            : throw new GgufFormatException($"{path}: {key} must be a number, got {node.ToJsonString()}");

    private static string String(string path, string key, JsonNode node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
            : throw new GgufFormatException($"{path}: {key} must be a string, got {node.ToJsonString()}");
}
