using System.Numerics;

namespace Merlinite.Engine.Evaluation;

/// <summary>
/// Python's <c>random.Random(seed)</c> for an integer seed, as far as lm-evaluation-harness uses it: its few-shot
/// sampler draws <c>rnd.sample(docs, n)</c> from <c>random.Random(1234)</c>, so matching its examples exactly needs the
/// same Mersenne Twister (MT19937, seeded by init_by_array of the seed's 32-bit words) and the same <c>sample</c>
/// algorithm (a shrinking pool for small populations, rejection from a set for large ones).
/// </summary>
public sealed class PythonRandom
{
    private const int N = 624, M = 397;
    private readonly uint[] _mt = new uint[N];
    private int _index;

    public PythonRandom(BigInteger seed)
    {
        // Python seeds with abs(seed) split into 32-bit words, least significant first (at least one word).
        var magnitude = BigInteger.Abs(seed);
        var key = new List<uint>();
        do
        {
            key.Add((uint)(magnitude & uint.MaxValue));
            magnitude >>= 32;
        } while (magnitude > 0);
        InitByArray(key);
    }

    /// <summary>The next 32 random bits (genrand_uint32).</summary>
    public uint NextUInt32()
    {
        if (_index >= N) Twist();
        uint y = _mt[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        return y ^ (y >> 18);
    }

    /// <summary>Python's <c>getrandbits(k)</c> for 0 ≤ k ≤ 32: the top k bits of one draw.</summary>
    public uint GetRandBits(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, 32);
        return k == 0 ? 0 : NextUInt32() >> (32 - k);
    }

    /// <summary>Python's <c>_randbelow</c>: k = n's bit length random bits, redrawn until below n.</summary>
    public int RandBelow(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        int k = 32 - BitOperations.LeadingZeroCount((uint)n);
        uint r = GetRandBits(k);
        while (r >= (uint)n) r = GetRandBits(k);
        return (int)r;
    }

    /// <summary>Python's <c>sample(population, k)</c>: k distinct items in selection order.</summary>
    public List<T> Sample<T>(IReadOnlyList<T> population, int k)
    {
        int n = population.Count;
        if (k < 0 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"sample larger than population ({n})");
        var result = new List<T>(k);
        // Python's threshold between the two methods: a list copy costs about as much as a set of this size.
        int setSize = 21;
        if (k > 5) setSize += (int)Math.Pow(4, Math.Ceiling(Math.Log(k * 3.0, 4)));
        if (n <= setSize)
        {
            var pool = population.ToList();
            for (int i = 0; i < k; i++)
            {
                int j = RandBelow(n - i);
                result.Add(pool[j]);
                pool[j] = pool[n - i - 1];
            }
        }
        else
        {
            var selected = new HashSet<int>();
            for (int i = 0; i < k; i++)
            {
                int j = RandBelow(n);
                while (!selected.Add(j)) j = RandBelow(n);
                result.Add(population[j]);
            }
        }
        return result;
    }

    private void InitGenrand(uint s)
    {
        _mt[0] = s;
        for (int i = 1; i < N; i++) _mt[i] = 1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30)) + (uint)i;
        _index = N;
    }

    private void InitByArray(IReadOnlyList<uint> key)
    {
        InitGenrand(19650218u);
        int i = 1, j = 0;
        for (int k = Math.Max(N, key.Count); k > 0; k--)
        {
            _mt[i] = (_mt[i] ^ ((_mt[i - 1] ^ (_mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint)j;
            i++; j++;
            if (i >= N) { _mt[0] = _mt[N - 1]; i = 1; }
            if (j >= key.Count) j = 0;
        }
        for (int k = N - 1; k > 0; k--)
        {
            _mt[i] = (_mt[i] ^ ((_mt[i - 1] ^ (_mt[i - 1] >> 30)) * 1566083941u)) - (uint)i;
            i++;
            if (i >= N) { _mt[0] = _mt[N - 1]; i = 1; }
        }
        _mt[0] = 0x80000000u;
    }

    private void Twist()
    {
        for (int i = 0; i < N; i++)
        {
            uint y = (_mt[i] & 0x80000000u) | (_mt[(i + 1) % N] & 0x7fffffffu);
            _mt[i] = _mt[(i + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908b0dfu : 0u);
        }
        _index = 0;
    }
}
