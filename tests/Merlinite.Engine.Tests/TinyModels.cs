using Merlinite.Engine.Models;
using Merlinite.Synth;

namespace Merlinite.Engine.Tests;

/// <summary>Synthesizes the tiny test models once per test run (they are never committed).</summary>
public sealed class TinyModels : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-engine-").FullName;

    public TinyModels()
    {
        Mistral = Path.Combine(_dir, "tiny-mistral.gguf");
        Mixtral = Path.Combine(_dir, "tiny-mixtral.gguf");
        ModelSynthesizer.Synthesize(new SynthOptions { Arch = SynthArch.Mistral, Preset = SynthPreset.Tiny, Seed = 1 }, Mistral);
        ModelSynthesizer.Synthesize(new SynthOptions { Arch = SynthArch.Mixtral, Preset = SynthPreset.Tiny, Seed = 2 }, Mixtral);
    }

    public string Mistral { get; }
    public string Mixtral { get; }

    public LoadedModel Load(string path, int ctx = 1024) =>
        LoadedModel.Load(new ModelLoadOptions { Model = new(path), Runtime = new() { Context = ctx, Threads = 1, FastAttention = true } });

    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }
}

[CollectionDefinition("tiny models")]
public sealed class TinyModelsCollection : ICollectionFixture<TinyModels>;
