using Merlinite.Engine.Placement;
using Merlinite.Engine.Settings;
using Merlinite.Llama;

namespace Merlinite.Engine.Models;

/// <summary>A model, one context over it, and the LoRA adapters applied to that context: what every command loads.</summary>
public sealed class LoadedModel : IDisposable
{
    private readonly List<LlamaLoraAdapter> _adapters;

    private readonly LlamaContext? _context;

    private LoadedModel(ModelLoadOptions options, LlamaModel model, LlamaContext? context, List<LlamaLoraAdapter> adapters)
    {
        Options = options;
        Model = model;
        _context = context;
        _adapters = adapters;
    }

    public ModelLoadOptions Options { get; }
    public LlamaModel Model { get; }
    public LlamaContext Context => _context ?? throw new InvalidOperationException($"{Options.Path} was loaded for its vocabulary only");
    public LlamaVocab Vocab => Model.Vocab;
    public int ContextSize => Context.ContextSize;

    /// <summary>A token's bytes as the model's vocabulary spells them; <paramref name="special"/> renders control
    /// tokens too.</summary>
    public byte[] TokenBytes(int token, bool special) => Vocab.TokenToPieceBytes(token, special);
    /// <summary>The context the model was trained with (llama.context_length): past it, answers degrade.</summary>
    public int TrainedContext => Model.ContextLengthTrain;

    /// <summary>The adapters applied to the context at load, with their scales.</summary>
    public IReadOnlyList<(LlamaLoraAdapter Adapter, float Scale)> Adapters => _adapters.Select((a, i) => (a, Options.Model.Loras[i].Scale)).ToList();

    /// <param name="modelKey">The setting that named the model file, for messages about it.</param>
    public static LoadedModel Load(ModelLoadOptions options, string modelKey = "model")
    {
        var runtime = options.Runtime;
        LlamaRuntime.Verbose = runtime.Verbose;
        ModelFiles.CheckModel(options.Path, modelKey);
        foreach (var lora in options.Model.Loras) ModelFiles.CheckAdapter(lora.Path);

        var placement = options.VocabularyOnly ? null : Place(options);
        var model = LlamaModel.Load(options.Path, new LlamaModelOptions
        {
            VocabularyOnly = options.VocabularyOnly,
            GpuLayers = options.VocabularyOnly ? 0 : placement?.Placement.GpuLayers ?? options.Model.GpuLayers ?? -1,
            // Read, not memory-mapped: on the CPU llama.cpp repacks Q4_0/Q4_K/IQ4 weights into copies of its own, and
            // with mmap those came on top of the mapped file (peak RSS of a 7B Q4_K_M: 8.3 GB mapped, 5.0 GB read;
            // docs/benchmarks.md). llama.cpp also asks for it when tensors are kept on the CPU by pattern.
            Read = true,
            CpuTensorPatterns = placement?.Placement.CpuTensorPatterns,
        });
        if (options.VocabularyOnly) return new LoadedModel(options, model, null, []);
        var adapters = new List<LlamaLoraAdapter>();
        try
        {
            // llama.cpp asserts (aborting the process) when a context cannot hold one output row per sequence.
            int context = runtime.Context > 0 ? runtime.Context
                : options.ChooseContext?.Invoke(model) ?? model.ContextLengthTrain;
            if (options.Sequences > Math.Min(context, options.BatchSize))
                throw new SettingException("context", $"the context ({context} tokens) is too small for the {options.Sequences} sequences it must hold");
            var ctx = model.CreateContext(new LlamaContextOptions
            {
                ContextSize = context, BatchSize = options.BatchSize, MicroBatchSize = MicroBatch(options),
                Sequences = options.Sequences,
                // One KV buffer for all sequences (a shared prompt's cells then belong to several sequences at once),
                // unless the job asks for one per sequence.
                UnifiedKv = options.Sequences > 1 && !options.KvPerSequence,
                ExactAttention = !runtime.FastAttention,
                Threads = runtime.EffectiveThreads,
            });

            foreach (var lora in options.Model.Loras) adapters.Add(model.LoadLoraAdapter(lora.Path));
            if (adapters.Count > 0)
                ctx.SetLoraAdapters(adapters.Select((a, i) => (a, options.Model.Loras[i].Scale)).ToList());
            return new LoadedModel(options, model, ctx, adapters) { Placement = placement };
        }
        catch
        {
            foreach (var a in adapters) a.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>Where gpu_layers: auto put the model and what it was projected to take (null: placed by hand, or no
    /// GPU backend).</summary>
    public FittedModel? Placement { get; private init; }

    /// <summary>gpu_layers: auto with a GPU backend: the placement that fits the VRAM budget for this load's context.
    /// Without a GPU backend llama.cpp keeps everything in RAM whatever n_gpu_layers says, so nothing is read.</summary>
    private static FittedModel? Place(ModelLoadOptions options)
    {
        if (options.Model.GpuLayers is not null || !LlamaRuntime.SupportsGpuOffload) return null;
        var weights = ModelWeights.Read(options.Path);
        var shape = ContextShape.Of(options, weights.Dims.TrainedContext);
        return PlacementFit.Fit(weights, shape, VramBudget.Resolve(options.Runtime.Vram));
    }

    /// <summary>Tokens one forward pass computes at most (llama.cpp's n_ubatch): what its compute buffer is sized for.</summary>
    public static int MicroBatch(ModelLoadOptions options) => Math.Min(options.BatchSize, 512);

    /// <summary>Only the tokenizer of <paramref name="path"/> (no weights, no context).</summary>
    public static LoadedModel LoadVocabulary(string path, string modelKey = "model") =>
        Load(new ModelLoadOptions { Model = new ModelSpec(path) { GpuLayers = 0 }, VocabularyOnly = true }, modelKey);

    /// <summary>Tokenizes a rendered prompt: BOS added as the model asks, special tokens like &lt;|user|&gt; parsed.</summary>
    public int[] TokenizePrompt(string text) => Vocab.Tokenize(text, addSpecial: true, parseSpecial: true);

    public void Dispose()
    {
        _context?.Dispose();
        foreach (var a in _adapters) a.Dispose();
        Model.Dispose();
    }
}
