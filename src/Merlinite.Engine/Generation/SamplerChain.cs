using Merlinite.Llama;

namespace Merlinite.Engine.Generation;

/// <summary>Builds llama.cpp's sampler chain in the order llama.cpp's own tools use.</summary>
public static class SamplerChain
{
    /// <param name="banEndOfGeneration">Never draw an end-of-generation token (fixed-length output).</param>
    public static LlamaSampler Create(SamplingOptions o, LlamaVocab vocab, bool banEndOfGeneration = false)
    {
        var chain = LlamaSampler.CreateChain();
        int vocabSize = vocab.Count;
        if (banEndOfGeneration)
            chain.Add(LlamaSampler.LogitBias(vocabSize, vocab.EndOfGenerationTokens.Select(t => (t, float.NegativeInfinity))));
        if (o.RepeatPenalty != 1.0f) chain.Add(LlamaSampler.Penalties(vocabSize, SamplingOptions.RepeatLastN, o.RepeatPenalty));
        if (o.Temperature <= 0)
            return chain.Add(LlamaSampler.Greedy());
        if (o.TopK > 0) chain.Add(LlamaSampler.TopK(o.TopK));
        if (o.TopP < 1.0f) chain.Add(LlamaSampler.TopP(o.TopP));
        if (o.MinP > 0) chain.Add(LlamaSampler.MinP(o.MinP));
        chain.Add(LlamaSampler.Temp(o.Temperature));
        return chain.Add(LlamaSampler.Dist(o.Seed));
    }
}
