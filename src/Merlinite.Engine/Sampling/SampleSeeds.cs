using System.Text;

namespace Merlinite.Engine.Sampling;

/// <summary>
/// The seed of sample k of prompt p is a hash of (run seed, prompt id, k). It does not depend on when or where the
/// sample runs, so the same sample draws from the same random stream whatever --parallel or a resume does.
/// </summary>
public static class SampleSeeds
{
    /// <summary>llama.cpp reads this value as "pick a random seed"; a derived seed must never be it.</summary>
    private const uint LlamaDefaultSeed = 0xFFFFFFFF;

    public static uint Derive(uint runSeed, string promptId, int sampleIndex)
    {
        // FNV-1a over the UTF-8 id: stable across processes and .NET versions, unlike string.GetHashCode.
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes(promptId)) { h ^= b; h *= 1099511628211UL; }
        ulong x = SplitMix64(SplitMix64(SplitMix64(runSeed) ^ h) ^ (ulong)sampleIndex);
        uint seed = (uint)(x >> 32);
        return seed == LlamaDefaultSeed ? seed - 1 : seed;
    }

    private static ulong SplitMix64(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
