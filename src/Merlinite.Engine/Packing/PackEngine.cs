using System.Runtime.CompilerServices;
using Merlinite.Llama;

namespace Merlinite.Engine.Packing;

/// <summary>The executable a chat binary starts with: the running merlinite itself (only its engine part when it is a
/// chat binary already), and the llama.cpp libraries it needs beside it when it is not the single-file build.</summary>
public sealed record PackEngine(string Path, long Length, string Description, IReadOnlyList<string> Libraries)
{
    /// <summary>SHA-256 of the engine's bytes: a chat binary packed by another build is not this one's.</summary>
    public string Sha256()
    {
        using var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        return PartCopy.Copy(file, null, Length, () => new PackException($"{Path} is shorter than its engine"));
    }

    public static PackEngine Current()
    {
        // Under a .NET host (dotnet merlinite.dll, a test) the process is `dotnet`, which cannot carry a model.
        if (RuntimeFeature.IsDynamicCodeSupported || Environment.ProcessPath is not { } exe)
            throw new PackException("a chat binary is made by the merlinite executable (bin/merlinite, ./build.sh), " +
                                    "not under a .NET host");
        long length = PackLayout.ReadManifest(exe)?.EngineLength ?? new FileInfo(exe).Length;
        if (LlamaRuntime.IsStaticallyLinked)
            return new PackEngine(exe, length,
                $"llama.cpp {LlamaRuntime.LlamaCppRelease}, {LlamaRuntime.LinkedName}", []);
        // The CUDA or per-CPU build loads llama.cpp from the folder beside it: the chat binary needs the same files
        // beside it, found the same way.
        string dir = LlamaRuntime.ResolveLibraryDirectory();
        var libraries = Directory.Exists(dir)
            ? Directory.GetFiles(dir, "lib*.so*").Order(StringComparer.Ordinal).ToArray()
            : [];
        return new PackEngine(exe, length,
            $"llama.cpp {LlamaRuntime.LlamaCppRelease}, {libraries.Length} libraries beside the binary", libraries);
    }
}
