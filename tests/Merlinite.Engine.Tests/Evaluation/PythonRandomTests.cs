using System.Numerics;
using Merlinite.Engine.Evaluation;

namespace Merlinite.Engine.Tests.Evaluation;

/// <summary>Every expected value here was printed by CPython 3.11.7's own <c>random</c> module (e.g.
/// <c>random.Random(1234).sample(range(10), 4)</c>), so these pin the port to Python's streams, not to
/// itself.</summary>
public class PythonRandomTests
{
    [Theory]
    [InlineData("0", 3626764237u, 1654615998u, 3255389356u)]
    [InlineData("1234", 4150886329u, 3342196574u, 1892932127u)]
    [InlineData("1099511627781", 2166296868u, 2220160828u, 1153647273u)] // 2**40 + 5: a seed of two 32-bit words
    public void Seeding_gives_pythons_first_32_bit_draws(string seed, uint a, uint b, uint c)
    {
        var r = new PythonRandom(BigInteger.Parse(seed, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([a, b, c], new[] { r.GetRandBits(32), r.GetRandBits(32), r.GetRandBits(32) });
    }

    [Fact]
    public void Getrandbits_takes_the_top_bits_of_one_draw()
    {
        var r = new PythonRandom(1234);
        Assert.Equal([1u, 24u, 57767u, 250934579u, 32175636u], new[] { 1, 5, 17, 31, 32 }.Select(r.GetRandBits));
    }

    [Fact]
    public void Sample_from_a_small_population_uses_the_shrinking_pool()
    {
        var r = new PythonRandom(1234);
        var three = Enumerable.Range(0, 3).ToList();
        Assert.Equal([[1, 0], [0, 2], [2, 0], [2, 0]], Enumerable.Range(0, 4).Select(_ => r.Sample(three, 2)));
        r = new PythonRandom(1234);
        var ten = Enumerable.Range(0, 10).ToList();
        Assert.Equal([7, 1, 0, 9], r.Sample(ten, 4));
        Assert.Equal([9, 0, 1, 8, 2, 7, 6, 3, 5, 4], r.Sample(ten, 10));
    }

    [Fact]
    public void Sample_switches_to_the_set_method_where_python_does()
    {
        var r = new PythonRandom(1234);
        Assert.Equal([989, 796, 451, 119, 7, 92, 932], r.Sample(Enumerable.Range(0, 1000).ToList(), 7));
        Assert.Equal([25, 18, 1], r.Sample(Enumerable.Range(0, 30).ToList(), 3));     // 30 > 21: set
        Assert.Equal([21, 2, 3, 11, 7, 0], r.Sample(Enumerable.Range(0, 22).ToList(), 6)); // k > 5 widens to 85: pool
        r = new PythonRandom(7);
        Assert.Equal([41, 19, 50, 83, 6, 9, 68, 12], r.Sample(Enumerable.Range(0, 100).ToList(), 8));
        Assert.Equal([46, 74, 7, 64, 27, 4, 11, 55], r.Sample(Enumerable.Range(0, 85).ToList(), 8)); // 85: pool
        Assert.Equal([53, 8, 30, 11, 70, 54, 7, 72], r.Sample(Enumerable.Range(0, 86).ToList(), 8)); // 86: set
    }

    [Fact]
    public void Sample_larger_than_the_population_is_refused_as_python_does()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PythonRandom(1).Sample([1, 2], 3));
    }
}
