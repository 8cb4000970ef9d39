namespace Merlinite.Engine.Settings;

/// <summary>How a job runs its models: context size, CPU threads, attention kernels, llama.cpp's log.</summary>
public sealed record RuntimeSettings
{
    /// <summary>KV cache size in tokens; 0 takes the model's training context. 8192 holds 16 parallel samples of a
    /// 256-token prompt with 256-token answers, and costs 1 GiB of F16 KV at 7B.</summary>
    public int Context { get; init; } = 8192;

    /// <summary>CPU threads; 0 = one per core. Speed only: results do not depend on it, so it is not fingerprinted.</summary>
    public int Threads { get; init; }

    /// <summary>llama.cpp's defaults (F16 KV cache, flash attention where supported) instead of an F32 cache without
    /// flash attention. Off by default: with it, log-probs of the test models moved by up to 5e-3 per token and sampled
    /// text came to depend on --parallel and on how a resumed run was batched (docs/benchmarks.md).</summary>
    public bool FastAttention { get; init; }

    /// <summary>GPU memory a model may take, in GiB, for gpu_layers: auto; 0 = the GPUs' free memory minus 1 GiB.</summary>
    public double Vram { get; init; }

    /// <summary>Pass llama.cpp's own log through to stderr.</summary>
    public bool Verbose { get; init; }

    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return Context != 0 ? Require.AtLeast("context", Context, 16) : null;
        yield return Require.AtLeast("threads", Threads, 0);
        yield return Vram is >= 0 and < 1 << 20 ? null : new SettingProblem("vram", $"must be 0 (the free GPU memory) or a size in GiB (got {Vram})");
    }
}
