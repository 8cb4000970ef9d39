using System.Diagnostics;
using System.Text;
using Merlinite.Engine.Models;
using Merlinite.Llama;

namespace Merlinite.Engine.Generation;

/// <summary>
/// Single-sequence generation on sequence 0 of a <see cref="LoadedModel"/>'s context. It remembers which tokens sit in
/// the KV cache, so a multi-turn chat only decodes what is new since the last call.
/// </summary>
public sealed class Generator(LoadedModel model)
{
    private readonly List<int> _cached = new();

    /// <summary>Tokens held in the KV cache (the context in use).</summary>
    public int CachedTokens => _cached.Count;

    public void Reset()
    {
        model.Context.Memory.Clear();
        _cached.Clear();
    }

    /// <param name="ignoreEos">never stop at an end-of-generation token (they are never sampled): fixed-length output.</param>
    public GenerationResult Generate(int[] prompt, SamplingOptions options, Action<string>? onText, CancellationToken ct, bool ignoreEos = false)
    {
        var context = model.Context;
        var vocab = model.Vocab;
        if (prompt.Length == 0) throw new Settings.SettingException("input", "the prompt tokenized to nothing");
        if (prompt.Length >= model.ContextSize)
            throw new Settings.SettingException("context", $"the prompt is {prompt.Length} tokens but the context holds {model.ContextSize}");

        var stopwatch = Stopwatch.StartNew();
        DecodePrompt(prompt);

        using var sampler = SamplerChain.Create(options, vocab.Count, ignoreEos ? Enumerable.Range(0, vocab.Count).Where(vocab.IsEog).ToArray() : null);
        foreach (var t in prompt) sampler.Accept(t); // so the repeat penalty sees the prompt
        var text = new StringBuilder();
        var utf8 = new Utf8PieceDecoder();
        var finish = FinishReason.Length;
        int generated = 0;
        using var batch = new LlamaBatch(1);
        while (generated < options.MaxTokens)
        {
            if (ct.IsCancellationRequested) { finish = FinishReason.Cancelled; break; }
            int token = sampler.Sample(context);
            if (vocab.IsEog(token)) { finish = FinishReason.Stop; break; }
            generated++;
            Emit(utf8.Push(vocab.TokenToPieceBytes(token)));
            if (_cached.Count + 1 >= model.ContextSize) { finish = FinishReason.ContextFull; break; }

            batch.Clear();
            batch.Add(token, _cached.Count, 0, logits: true);
            Check(context.Decode(batch));
            _cached.Add(token);
        }
        Emit(utf8.Flush());
        return new GenerationResult(text.ToString(), finish, prompt.Length, generated, options.Seed, stopwatch.Elapsed);

        void Emit(string s)
        {
            if (s.Length == 0) return;
            text.Append(s);
            onText?.Invoke(s);
        }
    }

    /// <summary>Keeps the KV entries shared with <paramref name="prompt"/>, decodes the rest in batches.</summary>
    private void DecodePrompt(int[] prompt)
    {
        int keep = 0;
        while (keep < _cached.Count && keep < prompt.Length && _cached[keep] == prompt[keep]) keep++;
        if (keep == prompt.Length) keep--; // the last prompt token must be decoded again to get its logits
        if (!model.Context.Memory.SeqRemove(0, keep, -1)) { Reset(); keep = 0; }
        _cached.RemoveRange(keep, _cached.Count - keep);

        int batchSize = model.Context.BatchSize;
        using var batch = new LlamaBatch(batchSize);
        for (int start = keep; start < prompt.Length; start += batchSize)
        {
            batch.Clear();
            int end = Math.Min(prompt.Length, start + batchSize);
            for (int i = start; i < end; i++) batch.Add(prompt[i], i, 0, logits: i == prompt.Length - 1);
            Check(model.Context.Decode(batch));
            for (int i = start; i < end; i++) _cached.Add(prompt[i]);
        }
    }

    private static void Check(int rc)
    {
        if (rc != 0)
            throw new LlamaException(rc == 1
                ? "llama_decode found no room in the KV cache (a larger context would help)"
                : $"llama_decode failed with code {rc}");
    }
}
