using Merlinite.Llama;

namespace Merlinite.Engine.Reproducibility;

/// <summary>
/// The reproducible mode (<c>--reproducible</c>, a recipe's <c>reproducible: true</c>, the tiny world's default): every
/// model computation of this process gives the same bytes on any x86-64 CPU with AVX2, FMA and F16C (x86-64-v3),
/// whatever else it has, and with any thread count. It runs llama.cpp from the portable build (fixed ISA, beside the
/// fast per-CPU one; the single-file build is that build) and the trainer with libtorch pinned to one code path
/// (<c>merlinite-trainer --reproducible</c>).
/// It is a property of the process because llama.cpp's libraries are: it is turned on before any model loads, and
/// every output's fingerprint records it, so an output made the other way is never reused as if it were the same.
/// What it measured to take, and what stays machine-dependent: docs/reproducibility.md.
/// </summary>
public static class ReproducibleMode
{
    /// <summary>The portable build's folder, inside the folder of the fast libraries (bin/portable).</summary>
    public const string LibraryFolder = "portable";

    /// <summary>The instruction-set level the portable build is compiled for.</summary>
    public const string IsaLevel = "x86-64-v3";

    public static bool IsOn { get; private set; }

    /// <summary>Why a training device cannot be used while the mode is on (it trains on the CPU), or null.</summary>
    public static string? DeviceProblem(string device) =>
        IsOn && device is not ("cpu" or "auto") ? $"'{device}': the reproducible mode trains on the CPU" : null;

    /// <summary>Where the portable libraries are: <c>portable/</c> inside the folder the fast ones load from
    /// (<c>$MERLINITE_LIB_DIR</c> or the binary's own).</summary>
    public static string LibraryDirectory => Path.Combine(LlamaRuntime.ResolveLibraryDirectory(), LibraryFolder);

    /// <summary>Turns the mode on for this process and loads the portable llama.cpp. Throws
    /// <see cref="ReproducibleModeException"/> when this CPU cannot run it, the build is missing, or a model already
    /// loaded the fast libraries.</summary>
    public static void TurnOn()
    {
        if (IsOn) return;
        if (CpuLevel.MissingForX86_64_V3() is { Length: > 0 } missing)
            throw new ReproducibleModeException(
                $"the reproducible mode needs an {IsaLevel} CPU (AVX2, FMA, F16C, BMI2); this one lacks " +
                $"{string.Join(", ", missing)}; turn it off (--reproducible false, or reproducible: false in a recipe) to " +
                "use this machine's own kernels");
        if (LlamaRuntime.IsStaticallyLinked)
        {
            // The single-file build links exactly the portable build: nothing to load.
            LlamaRuntime.EnsureInitialized();
            IsOn = true;
            return;
        }
        string dir = LibraryDirectory;
        if (!Directory.Exists(dir))
            throw new ReproducibleModeException(
                $"the reproducible mode's llama.cpp build is missing ({dir}); ./build.sh compiles it " +
                "(it needs cmake and g++)");
        if (LlamaRuntime.IsInitialized && LlamaRuntime.LibraryDirectory != Path.GetFullPath(dir))
            throw new ReproducibleModeException(
                $"llama.cpp is already loaded from {LlamaRuntime.LibraryDirectory}: the reproducible mode has to be " +
                "turned on before any model loads");
        LlamaRuntime.EnsureInitialized(dir);
        IsOn = true;
    }
}

/// <summary>The reproducible mode cannot run here; the message says why and what to do.</summary>
public sealed class ReproducibleModeException(string message) : ArgumentException(message);
