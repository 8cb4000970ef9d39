namespace Merlinite.Trainer.Data;

/// <summary>
/// Every random choice of a run (shuffle order, dropout masks) is drawn from a seed derived from (--seed, what, where),
/// never from a stream carried across steps. A resumed run therefore needs nothing but the step number to continue
/// exactly as an uninterrupted run would.
/// </summary>
public static class Seeds
{
    public const ulong Shuffle = 0x5348_5546;   // "SHUF"
    public const ulong Dropout = 0x4452_4F50;   // "DROP"
    public const ulong Init = 0x494E_4954;      // "INIT"

    /// <summary>SplitMix64 folded over the parts: a well-mixed 64-bit seed for any tuple of integers.</summary>
    public static ulong Derive(params ReadOnlySpan<long> parts)
    {
        ulong state = 0x9E37_79B9_7F4A_7C15;
        foreach (long part in parts) state = Next(state ^ (ulong)part);
        return state;
    }

    private static ulong Next(ulong x)
    {
        x += 0x9E37_79B9_7F4A_7C15;
        x = (x ^ (x >> 30)) * 0xBF58_476D_1CE4_E5B9;
        x = (x ^ (x >> 27)) * 0x94D0_49BB_1331_11EB;
        return x ^ (x >> 31);
    }

    /// <summary>A permutation of 0..n-1 (Fisher–Yates driven by a SplitMix64 stream from <paramref name="seed"/>).</summary>
    public static int[] Permutation(int n, ulong seed)
    {
        var order = Enumerable.Range(0, n).ToArray();
        ulong state = seed;
        for (int i = n - 1; i > 0; i--)
        {
            state = Next(state);
            int j = (int)(state % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
