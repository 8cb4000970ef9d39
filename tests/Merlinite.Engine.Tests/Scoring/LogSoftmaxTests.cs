using Merlinite.Engine.Scoring;

namespace Merlinite.Engine.Tests.Scoring;

public class LogSoftmaxTests
{
    [Fact]
    public void Matches_a_naive_double_computation()
    {
        var rng = new Random(3);
        var logits = Enumerable.Range(0, 1000).Select(_ => (float)(rng.NextDouble() * 20 - 10)).ToArray();
        double naive = Math.Log(logits.Sum(l => Math.Exp(l)));
        // The shifted exponentials are float32 (2^-23 relative each) summed in double over 1,000 terms: at most ~1e-7 of
        // the log; 5 places (5e-6) is 50× that.
        Assert.Equal(naive, LogSoftmax.LogSumExp(logits, new float[logits.Length]), 5);
    }

    [Fact]
    public void Stays_finite_for_logits_that_would_overflow_exp()
    {
        var logits = new float[] { 10000f, 9999f, -10000f };
        double lse = LogSoftmax.LogSumExp(logits, new float[3]);
        Assert.True(double.IsFinite(lse));
        // The shifted exponentials are float32 (exp(-1) within 2^-23 relative); 6 places (5e-7) is 20× that.
        Assert.Equal(10000 + Math.Log(1 + Math.Exp(-1)), lse, 6);
        var top = LogSoftmax.Top(logits, lse, 2);
        Assert.Equal([0, 1], top.Select(t => t.Token));
    }
}
