using Merlinite.Llama;

namespace Merlinite.Engine.Generation;

/// <summary>Builds llama.cpp's sampler chain in the order llama.cpp's own tools use.</summary>
public static class SamplerChain
{
    public static LlamaSampler Create(SamplingOptions o, int vocabSize)
    {
        var chain = LlamaSampler.CreateChain();
        if (o.RepeatPenalty != 1.0f) chain.Add(LlamaSampler.Penalties(vocabSize, o.RepeatLastN, o.RepeatPenalty));
        if (o.Temperature <= 0)
            return chain.Add(LlamaSampler.Greedy());
        if (o.TopK > 0) chain.Add(LlamaSampler.TopK(o.TopK));
        if (o.TopP < 1.0f) chain.Add(LlamaSampler.TopP(o.TopP));
        if (o.MinP > 0) chain.Add(LlamaSampler.MinP(o.MinP));
        chain.Add(LlamaSampler.Temp(o.Temperature));
        return chain.Add(LlamaSampler.Dist(o.Seed));
    }
}
