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

    public static LoadedModel Load(ModelLoadOptions options)
    {
        LlamaRuntime.Verbose = options.Verbose;
        foreach (var lora in options.Loras)
            if (!File.Exists(lora.Path)) throw new FileNotFoundException($"LoRA adapter not found: {Path.GetFullPath(lora.Path)}", lora.Path);

        var modelParams = LlamaModel.DefaultParams();
        modelParams.n_gpu_layers = options.GpuLayers;
        modelParams.vocab_only = options.VocabularyOnly;
        var model = LlamaModel.Load(options.Path, modelParams);
        if (options.VocabularyOnly) return new LoadedModel(options, model, null, []);
        var adapters = new List<LlamaLoraAdapter>();
        try
        {
            int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
            var ctxParams = LlamaContext.DefaultParams();
            ctxParams.n_ctx = (uint)options.ContextSize;
            ctxParams.n_batch = (uint)options.BatchSize;
            ctxParams.n_ubatch = (uint)Math.Min(options.BatchSize, 512);
            ctxParams.n_seq_max = (uint)options.Sequences;
            // One KV buffer for all sequences: a shared prompt's cells then belong to several sequences at once.
            ctxParams.kv_unified = options.Sequences > 1;
            if (options.ExactAttention)
            {
                ctxParams.type_k = ctxParams.type_v = Llama.Native.GgmlType.F32;
                ctxParams.flash_attn_type = Llama.Native.LlamaFlashAttnType.Disabled;
            }
            ctxParams.n_threads = threads;
            ctxParams.n_threads_batch = threads;
            var context = model.CreateContext(ctxParams);

            foreach (var lora in options.Loras) adapters.Add(model.LoadLoraAdapter(lora.Path));
            if (adapters.Count > 0)
                context.SetLoraAdapters(adapters.Select((a, i) => (a, options.Loras[i].Scale)).ToList());
            return new LoadedModel(options, model, context, adapters);
        }
        catch
        {
            foreach (var a in adapters) a.Dispose();
            model.Dispose();
            throw;
        }
    }

    /// <summary>Tokenizes a rendered prompt: BOS added as the model asks, special tokens like &lt;|user|&gt; parsed.</summary>
    public int[] TokenizePrompt(string text) => Vocab.Tokenize(text, addSpecial: true, parseSpecial: true);

    public void Dispose()
    {
        _context?.Dispose();
        foreach (var a in _adapters) a.Dispose();
        Model.Dispose();
    }
}
