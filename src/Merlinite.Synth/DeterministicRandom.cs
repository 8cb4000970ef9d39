using System.Text;

namespace Merlinite.Synth;

/// <summary>
/// Our own small PRNG: xoshiro256** seeded through SplitMix64 (both by Blackman and Vigna, public domain algorithms).
/// Unlike <see cref="System.Random"/> its sequence is part of this project's contract: the same seed gives the same
/// numbers on every machine, OS and .NET version, so synthesized model files are byte-identical everywhere.
/// Only integer arithmetic and single IEEE multiplications are used (no transcendental functions, no
/// library-dependent rounding).
/// </summary>
public struct DeterministicRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator whose four state words are SplitMix64 outputs of <paramref name="seed"/>.</summary>
    public DeterministicRandom(ulong seed)
    {
        ulong sm = seed;
        _s0 = SplitMix64Next(ref sm);
        _s1 = SplitMix64Next(ref sm);
        _s2 = SplitMix64Next(ref sm);
        _s3 = SplitMix64Next(ref sm);
    }

    /// <summary>The next 64 random bits (xoshiro256**).</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniformly distributed integer in [0, <paramref name="maxExclusive"/>) (unbiased, by rejection).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), "must be positive");
        ulong bound = (ulong)maxExclusive;
        // Reject the top partial range so every residue is equally likely.
        ulong limit = ulong.MaxValue - (ulong.MaxValue % bound + 1) % bound;
        while (true)
        {
            ulong x = NextUInt64();
            if (x <= limit) return (int)(x % bound);
        }
    }

    /// <summary>
    /// A value uniformly distributed on the open interval (-amplitude, +amplitude), symmetric about 0: the top 24
    /// random bits k give the odd integer 2k+1-2^24 (exact in a float), scaled by one multiplication.
    /// </summary>
    public float NextSymmetric(float amplitude) => NextSymmetricUnit() * (amplitude * (1f / 16777216f));

    /// <summary>Fills <paramref name="dest"/> with <see cref="NextSymmetric"/> values (same sequence as calling it in a loop).</summary>
    public void FillSymmetric(Span<float> dest, float amplitude)
    {
        float scale = amplitude * (1f / 16777216f);
        for (int i = 0; i < dest.Length; i++) dest[i] = NextSymmetricUnit() * scale;
    }

    /// <summary>An odd integer in [-(2^24-1), 2^24-1] as a float (exactly representable).</summary>
    private float NextSymmetricUnit()
    {
        long k = (long)(NextUInt64() >> 40);   // 24 bits
        return (float)(2 * k + 1 - 16777216);
    }

    /// <summary>
    /// The amplitude a of a uniform distribution on [-a, a] whose standard deviation is <paramref name="std"/>:
    /// a = std * sqrt(3). (Math.Sqrt is correctly rounded by IEEE 754, so this is the same everywhere.)
    /// </summary>
    public static float UniformAmplitudeForStd(double std) => (float)(std * Math.Sqrt(3.0));

    // ---------------------------------------------------------------- seed derivation

    /// <summary>The SplitMix64 finalizer: a bijective 64-bit mixing function.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>One SplitMix64 step.</summary>
    public static ulong SplitMix64Next(ref ulong state)
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    /// <summary>64-bit FNV-1a over the UTF-8 bytes of <paramref name="text"/>.</summary>
    public static ulong Fnv1a64(string text)
    {
        ulong h = 0xCBF29CE484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            h ^= b;
            h *= 0x100000001B3UL;
        }
        return h;
    }

    /// <summary>
    /// The seed of one named stream (e.g. a tensor) under a model seed. Streams with different names are independent,
    /// so tensors can be generated in any order.
    /// </summary>
    public static ulong DeriveSeed(ulong seed, string streamName) => Mix(Mix(seed ^ 0x6D65726C696E6974UL) ^ Fnv1a64(streamName));

    /// <summary>The seed of sub-stream <paramref name="index"/> (e.g. a row) of a stream.</summary>
    public static ulong DeriveSeed(ulong streamSeed, long index) => Mix(streamSeed + 0x9E3779B97F4A7C15UL * (ulong)(index + 1));

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
