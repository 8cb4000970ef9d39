using Merlinite.Synth;

namespace Merlinite.Synth.Tests;

public class DeterministicRandomTests
{
    [Fact]
    public void Xoshiro256StarStar_SeededBySplitMix64_MatchesReferenceOutputs()
    {
        // Reference values of xoshiro256** whose state is 4 SplitMix64 outputs (computed independently).
        var rng = new DeterministicRandom(0);
        Assert.Equal(0x99EC5F36CB75F2B4UL, rng.NextUInt64());
        Assert.Equal(0xBF6E1F784956452AUL, rng.NextUInt64());
        Assert.Equal(0x1A5F849D4933E6E0UL, rng.NextUInt64());

        rng = new DeterministicRandom(12345);
        Assert.Equal(0xBE6A36374160D49BUL, rng.NextUInt64());
        Assert.Equal(0x214AAA0637A688C6UL, rng.NextUInt64());
    }

    [Fact]
    public void NextSymmetric_IsInsideTheInterval_WithTheRequestedStd()
    {
        var rng = new DeterministicRandom(7);
        float a = DeterministicRandom.UniformAmplitudeForStd(0.02);
        const int n = 200_000;
        double sum = 0, sumSq = 0;
        for (int i = 0; i < n; i++)
        {
            float v = rng.NextSymmetric(a);
            Assert.InRange(v, -a, a);
            sum += v;
            sumSq += (double)v * v;
        }
        double mean = sum / n, std = Math.Sqrt(sumSq / n - mean * mean);
        // Sampling error of 200,000 draws: the mean's is 0.02/√n = 4.5e-5 (the bound is 11 of those), the std's is
        // 0.02/√(2n) = 3.2e-5 (the bound is 6). The stream is fixed, so this is a check of the amplitude, not luck.
        Assert.InRange(mean, -0.0005, 0.0005);
        Assert.InRange(std, 0.0198, 0.0202);
    }

    [Fact]
    public void FillSymmetric_EqualsRepeatedNextSymmetric()
    {
        var a = new DeterministicRandom(99);
        var b = new DeterministicRandom(99);
        var buffer = new float[100];
        a.FillSymmetric(buffer, 0.5f);
        for (int i = 0; i < buffer.Length; i++) Assert.Equal(b.NextSymmetric(0.5f), buffer[i]);
    }

    [Fact]
    public void DerivedSeeds_DependOnSeedAndName()
    {
        ulong s1 = DeterministicRandom.DeriveSeed(1, "blk.0.attn_q.weight");
        Assert.Equal(s1, DeterministicRandom.DeriveSeed(1, "blk.0.attn_q.weight"));
        Assert.NotEqual(s1, DeterministicRandom.DeriveSeed(2, "blk.0.attn_q.weight"));
        Assert.NotEqual(s1, DeterministicRandom.DeriveSeed(1, "blk.0.attn_k.weight"));
        Assert.NotEqual(DeterministicRandom.DeriveSeed(s1, 0L), DeterministicRandom.DeriveSeed(s1, 1L));
        // pinned: changing the derivation changes every synthesized file
        Assert.Equal(0xAF63DC4C8601EC8CUL, DeterministicRandom.Fnv1a64("a"));
    }

    [Fact]
    public void NextInt_StaysInRange()
    {
        var rng = new DeterministicRandom(3);
        var seen = new bool[7];
        for (int i = 0; i < 1000; i++) seen[rng.NextInt(7)] = true;
        Assert.All(seen, Assert.True);
        Assert.Throws<ArgumentOutOfRangeException>(() => rng.NextInt(0));
    }
}
