using Merlinite.Engine.Chat;
using Merlinite.Engine.Models;

namespace Merlinite.Engine.Packing;

/// <summary>What <c>merlinite pack</c> (or a recipe's <c>output.pack</c>) puts into a chat binary.</summary>
/// <param name="System">The system prompt; null keeps the template's own.</param>
/// <param name="Name">What the chat calls itself; null takes the output file's name.</param>
public sealed record PackRequest(
    string Model, IReadOnlyList<LoraSpec> Adapters, string? System, ChatTemplate Template, string? Name,
    PackSource? Source = null);

/// <summary>A chat binary written: where, how big, and the library files that must travel beside it (none for the
/// single-file build).</summary>
public sealed record PackResult(string Path, long Bytes, PackManifest Manifest, IReadOnlyList<string> LibrariesBeside);

/// <summary>Packing cannot go on; the message names the file and what to change.</summary>
public sealed class PackException(string message) : Exception(message);
