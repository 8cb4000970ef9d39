using Merlinite.Synth;

namespace Merlinite.Trainer.Tests;

/// <summary>
/// Synthesizes the tiny test models once per test run (never committed), in a temporary folder the tests also use
/// for their data, adapters and checkpoints.
/// </summary>
public sealed class TinyModels : IDisposable
{
    public TinyModels()
    {
        // TorchSharp's thread count is process-wide; 2 matches the CI machine's cores.
        TorchSharp.torch.set_num_threads(2);
        Folder = Directory.CreateTempSubdirectory("merlinite-trainer-").FullName;
        Mistral = Path.Combine(Folder, "tiny-mistral.gguf");
        Mixtral = Path.Combine(Folder, "tiny-mixtral.gguf");
        ModelSynthesizer.Synthesize(new SynthOptions { Arch = SynthArch.Mistral, Preset = SynthPreset.Tiny, Seed = 1 }, Mistral);
        ModelSynthesizer.Synthesize(new SynthOptions { Arch = SynthArch.Mixtral, Preset = SynthPreset.Tiny, Seed = 2 }, Mixtral);
    }

    public string Folder { get; }
    public string Mistral { get; }
    public string Mixtral { get; }

    public string ModelPath(string which) => which == "mixtral" ? Mixtral : Mistral;

    /// <summary>A fresh file name in the test folder.</summary>
    public string NewFile(string name) => System.IO.Path.Combine(Folder, $"{Guid.NewGuid():N}-{name}");

    public void Dispose()
    {
        try { Directory.Delete(Folder, true); } catch (IOException) { }
    }
}

/// <summary>
/// Every test that uses TorchSharp runs in this one collection, one at a time: the default RNG (dropout) and the
/// thread count are process-wide, so parallel tests would make each other nondeterministic.
/// </summary>
[CollectionDefinition("trainer")]
public sealed class TrainerCollection : ICollectionFixture<TinyModels>;
