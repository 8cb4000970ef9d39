using System.Text;
using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary>
/// A sampler or a sampler chain (<c>llama_sampler</c>). Build a chain with <see cref="CreateChain"/> and
/// <see cref="Add"/> (which moves ownership of the added sampler into the chain: the added object becomes unusable);
/// sample with <see cref="Sample"/>. Usually a chain ends with <see cref="Greedy"/>, <see cref="Dist"/> or a mirostat.
/// </summary>
public sealed unsafe class LlamaSampler : IDisposable
{
    public SafeLlamaSamplerHandle Handle { get; }
    /// <summary>True for chains (llama_sampler_chain_init); the chain functions are only valid on those.</summary>
    public bool IsChain { get; }

    private LlamaSampler(llama_sampler* p, bool isChain, string what)
    {
        if (p == null) throw new LlamaException($"llama.cpp could not create the {what} sampler{LlamaRuntime.RecentErrorsSuffix()}");
        Handle = new SafeLlamaSamplerHandle(p);
        IsChain = isChain;
    }

    private static llama_sampler* Init(Func<nint> create)
    {
        LlamaRuntime.EnsureInitialized();
        return (llama_sampler*)create();
    }

    internal llama_sampler* Ptr => Handle.Pointer;

    // ------------------------------------------------------------------ factories

    /// <summary><c>llama_sampler_chain_init</c>; <paramref name="noPerf"/> = do not measure timings.</summary>
    public static LlamaSampler CreateChain(bool noPerf = true)
    {
        LlamaRuntime.EnsureInitialized();
        var p = LlamaNative.llama_sampler_chain_default_params();
        p.no_perf = noPerf;
        return new LlamaSampler(LlamaNative.llama_sampler_chain_init(p), true, "chain");
    }

    public static LlamaSampler Greedy() => new(Init(() => (nint)LlamaNative.llama_sampler_init_greedy()), false, "greedy");
    /// <summary>Random sampling from the distribution; <paramref name="seed"/> = <see cref="LlamaNative.LLAMA_DEFAULT_SEED"/> for a random seed.</summary>
    public static LlamaSampler Dist(uint seed) => new(Init(() => (nint)LlamaNative.llama_sampler_init_dist(seed)), false, "dist");
    /// <summary>k &lt;= 0 is a no-op.</summary>
    public static LlamaSampler TopK(int k) => new(Init(() => (nint)LlamaNative.llama_sampler_init_top_k(k)), false, "top-k");
    public static LlamaSampler TopP(float p, int minKeep = 1) => new(Init(() => (nint)LlamaNative.llama_sampler_init_top_p(p, (nuint)minKeep)), false, "top-p");
    public static LlamaSampler MinP(float p, int minKeep = 1) => new(Init(() => (nint)LlamaNative.llama_sampler_init_min_p(p, (nuint)minKeep)), false, "min-p");
    public static LlamaSampler Typical(float p, int minKeep = 1) => new(Init(() => (nint)LlamaNative.llama_sampler_init_typical(p, (nuint)minKeep)), false, "typical");
    /// <summary>t &lt;= 0 keeps only the maximum logit.</summary>
    public static LlamaSampler Temp(float t) => new(Init(() => (nint)LlamaNative.llama_sampler_init_temp(t)), false, "temp");
    public static LlamaSampler TempExt(float t, float delta, float exponent) => new(Init(() => (nint)LlamaNative.llama_sampler_init_temp_ext(t, delta, exponent)), false, "temp-ext");
    public static LlamaSampler Xtc(float p, float t, int minKeep, uint seed) => new(Init(() => (nint)LlamaNative.llama_sampler_init_xtc(p, t, (nuint)minKeep, seed)), false, "xtc");
    public static LlamaSampler TopNSigma(float n) => new(Init(() => (nint)LlamaNative.llama_sampler_init_top_n_sigma(n)), false, "top-n-sigma");
    public static LlamaSampler Mirostat(int nVocab, uint seed, float tau, float eta, int m) => new(Init(() => (nint)LlamaNative.llama_sampler_init_mirostat(nVocab, seed, tau, eta, m)), false, "mirostat");
    public static LlamaSampler MirostatV2(uint seed, float tau, float eta) => new(Init(() => (nint)LlamaNative.llama_sampler_init_mirostat_v2(seed, tau, eta)), false, "mirostat-v2");
    public static LlamaSampler AdaptiveP(float target, float decay, uint seed) => new(Init(() => (nint)LlamaNative.llama_sampler_init_adaptive_p(target, decay, seed)), false, "adaptive-p");

    /// <summary>Repetition penalties (<c>llama_sampler_init_penalties(n_vocab, last_n, repeat, freq, present)</c>).
    /// <paramref name="lastN"/> 0 disables; repeat 1.0, freq 0, present 0 are neutral.</summary>
    public static LlamaSampler Penalties(int nVocab, int lastN, float repeat, float frequency = 0f, float presence = 0f) =>
        new(Init(() => (nint)LlamaNative.llama_sampler_init_penalties(nVocab, lastN, repeat, frequency, presence)), false, "penalties");

    /// <summary>Adds <c>Bias</c> to each listed token's logit (negative infinity: never drawn).</summary>
    public static LlamaSampler LogitBias(int nVocab, IEnumerable<(int Token, float Bias)> biases) =>
        LogitBias(nVocab, biases.Select(b => new llama_logit_bias { token = b.Token, bias = b.Bias }).ToArray());

    internal static LlamaSampler LogitBias(int nVocab, ReadOnlySpan<llama_logit_bias> biases)
    {
        LlamaRuntime.EnsureInitialized();
        fixed (llama_logit_bias* b = biases)
            return new LlamaSampler(LlamaNative.llama_sampler_init_logit_bias(nVocab, biases.Length, b), false, "logit-bias");
    }

    /// <summary>GBNF grammar; throws when the grammar does not parse.</summary>
    public static LlamaSampler Grammar(LlamaVocab vocab, string grammar, string root = "root")
    {
        ArgumentNullException.ThrowIfNull(vocab);
        LlamaRuntime.DrainRecentLogErrors();
        return new LlamaSampler(LlamaNative.llama_sampler_init_grammar(vocab.Pointer, grammar, root), false, "grammar");
    }

    public static LlamaSampler Infill(LlamaVocab vocab)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        return new LlamaSampler(LlamaNative.llama_sampler_init_infill(vocab.Pointer), false, "infill");
    }

    /// <summary>DRY repetition sampler.</summary>
    public static LlamaSampler Dry(LlamaVocab vocab, float multiplier, float @base, int allowedLength, int penaltyLastN, IReadOnlyList<string> sequenceBreakers)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        ArgumentNullException.ThrowIfNull(sequenceBreakers);
        var bufs = sequenceBreakers.Select(NativeStrings.ToUtf8Z).ToArray();
        var handles = bufs.Select(b => System.Runtime.InteropServices.GCHandle.Alloc(b, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
        try
        {
            var ptrs = handles.Select(h => h.AddrOfPinnedObject()).ToArray();
            fixed (nint* p = ptrs)
                return new LlamaSampler(LlamaNative.llama_sampler_init_dry(vocab.Pointer, multiplier, @base, allowedLength, penaltyLastN,
                    ptrs.Length == 0 ? null : (byte**)p, (nuint)ptrs.Length), false, "dry");
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }

    // ------------------------------------------------------------------ chain

    private void RequireChain()
    {
        if (!IsChain) throw new InvalidOperationException("not a sampler chain (create it with LlamaSampler.CreateChain)");
    }

    /// <summary>Appends <paramref name="sampler"/> to this chain, which takes ownership (the object can no longer be used).
    /// Returns this chain.</summary>
    public LlamaSampler Add(LlamaSampler sampler)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        RequireChain();
        if (ReferenceEquals(sampler, this)) throw new ArgumentException("a chain cannot contain itself", nameof(sampler));
        llama_sampler* chain = Ptr;
        LlamaNative.llama_sampler_chain_add(chain, sampler.Handle.Release());
        return this;
    }

    /// <summary>Samplers in the chain.</summary>
    public int Count { get { RequireChain(); return LlamaNative.llama_sampler_chain_n(Ptr); } }

    /// <summary>The i-th sampler of the chain, borrowed (owned by the chain; do not free).</summary>
    public llama_sampler* Get(int i)
    {
        RequireChain();
        llama_sampler* s = LlamaNative.llama_sampler_chain_get(Ptr, i);
        return s != null ? s : throw new ArgumentOutOfRangeException(nameof(i), i, "no sampler at this index");
    }

    /// <summary>Names of the samplers in the chain, in order.</summary>
    public IReadOnlyList<string> GetSamplerNames()
    {
        int n = Count;
        var names = new string[n];
        for (int i = 0; i < n; i++) names[i] = LlamaRuntime.Utf8(LlamaNative.llama_sampler_name(Get(i))) ?? "";
        return names;
    }

    /// <summary>Removes the i-th sampler from the chain and returns it (now owned by the caller).</summary>
    public LlamaSampler Remove(int i)
    {
        RequireChain();
        llama_sampler* s = LlamaNative.llama_sampler_chain_remove(Ptr, i);
        if (s == null) throw new ArgumentOutOfRangeException(nameof(i), i, "no sampler at this index");
        return new LlamaSampler(s, LlamaNative.llama_sampler_chain_get(s, -1) != null, "removed");
    }

    // ------------------------------------------------------------------ use

    /// <summary><c>llama_sampler_sample</c>: samples (and accepts) a token from output <paramref name="idx"/> of the last
    /// decode (-1 = last).</summary>
    public int Sample(LlamaContext context, int idx = -1)
    {
        ArgumentNullException.ThrowIfNull(context);
        return LlamaNative.llama_sampler_sample(Ptr, context.Ptr, idx);
    }

    public void Accept(int token) => LlamaNative.llama_sampler_accept(Ptr, token);

    /// <summary><c>llama_sampler_apply</c> on caller-owned candidates.</summary>
    public void Apply(ref llama_token_data_array candidates)
    {
        fixed (llama_token_data_array* c = &candidates) LlamaNative.llama_sampler_apply(Ptr, c);
    }

    public void Reset() => LlamaNative.llama_sampler_reset(Ptr);

    public LlamaSampler Clone() => new(LlamaNative.llama_sampler_clone(Ptr), IsChain, "clone");

    public string Name => LlamaRuntime.Utf8(LlamaNative.llama_sampler_name(Ptr)) ?? "";

    /// <summary>The seed used, or <see cref="LlamaNative.LLAMA_DEFAULT_SEED"/> if not applicable.</summary>
    public uint Seed => LlamaNative.llama_sampler_get_seed(Ptr);

    public llama_perf_sampler_data GetPerformance() { RequireChain(); return LlamaNative.llama_perf_sampler(Ptr); }
    public void ResetPerformance() { RequireChain(); LlamaNative.llama_perf_sampler_reset(Ptr); }

    public void Dispose() => Handle.Dispose();

    public override string ToString() => Handle.IsInvalid || Handle.IsClosed ? "LlamaSampler(released)" : $"LlamaSampler({Name})";
}
