using System.Text.Json;
using System.Text.Json.Serialization;

namespace Merlinite.Engine.Packing;

/// <summary>
/// What a chat binary holds and how to run it, stored as JSON inside the file (<see cref="PackLayout"/>): the model and
/// its adapters as byte ranges with their SHA-256, the chat settings, and where they came from.
/// </summary>
public sealed record PackManifest
{
    /// <summary>The layout's version; a reader refuses others.</summary>
    public int Format { get; init; } = PackLayout.Format;

    /// <summary>What the chat calls itself (the REPL's banner, the server's model id).</summary>
    public required string Name { get; init; }

    /// <summary>The merlinite version that packed it.</summary>
    public required string Merlinite { get; init; }

    /// <summary>The engine: which llama.cpp build runs the chat.</summary>
    public required string Engine { get; init; }

    /// <summary>Bytes of the executable before the first part (the engine copied when a chat binary packs
    /// again).</summary>
    public required long EngineLength { get; init; }

    public required PackPart Model { get; init; }

    /// <summary>What the model is: <c>merlinite gguf info</c>'s summary lines.</summary>
    public required string ModelSummary { get; init; }

    /// <summary>LoRA adapters applied on top of the model, in order.</summary>
    public IReadOnlyList<PackPart> Adapters { get; init; } = [];

    /// <summary>The system prompt; null means the template's own.</summary>
    public string? System { get; init; }

    /// <summary>The chat template's name (merlinite, model, raw).</summary>
    public required string Template { get; init; }

    /// <summary>Where the model came from, when a recipe packed it.</summary>
    public PackSource? Source { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, PackJson.Default.PackManifest);

    /// <summary>Parses the stored JSON; throws <see cref="PackFormatException"/> naming
    /// <paramref name="where"/>.</summary>
    public static PackManifest Parse(byte[] json, string where)
    {
        PackManifest? manifest;
        try { manifest = JsonSerializer.Deserialize(json, PackJson.Default.PackManifest); }
        catch (JsonException e)
        {
            throw new PackFormatException($"{where}: the chat binary's manifest is damaged ({e.Message})");
        }
        if (manifest is null) throw new PackFormatException($"{where}: the chat binary's manifest is empty");
        if (manifest.Format != PackLayout.Format)
            throw new PackFormatException($"{where}: a chat binary of format {manifest.Format}; this merlinite reads " +
                                          $"format {PackLayout.Format}");
        return manifest;
    }
}

/// <summary>One file inside the chat binary: its original name, where its bytes are, and their SHA-256.</summary>
/// <param name="Scale">For an adapter: the LoRA scale it is applied with.</param>
public sealed record PackPart(string File, long Offset, long Length, string Sha256, float Scale = 1);

/// <summary>The recipe run a packed model came from.</summary>
public sealed record PackSource(string Recipe, string Run, int Round, string? Why);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PackManifest))]
internal sealed partial class PackJson : JsonSerializerContext;

/// <summary>A chat binary that cannot be read (damaged, truncated, another format).</summary>
public sealed class PackFormatException(string message) : Exception(message);
