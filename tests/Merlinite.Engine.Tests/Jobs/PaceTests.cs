using Merlinite.Engine.Jobs;

namespace Merlinite.Engine.Tests.Jobs;

/// <summary>Time left comes from the work this process did, not from where a resumed job started.
/// Durations are compared to the millisecond: one multiplication and one division of values near 1 (10^-15).</summary>
public class PaceTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void A_resumed_job_is_timed_by_its_own_rate()
    {
        // The case: resumed at 34 %, 10 s later at 36 %: 2 % per 10 s, so 64 % takes 320 s (not 20 s).
        var pace = new Pace();
        pace.Observe(S(3), 0.34); // the first report, after loading
        pace.Observe(S(8), 0.35);
        var left = pace.Remaining(S(13), 0.36);
        Assert.NotNull(left);
        Assert.Equal(320, left.Value.TotalSeconds, 3);
    }

    [Fact]
    public void A_fresh_job_is_timed_from_its_first_report()
    {
        var pace = new Pace();
        pace.Observe(S(0), 0);
        Assert.Equal(30, pace.Remaining(S(10), 0.25)!.Value.TotalSeconds, 3);
    }

    [Fact]
    public void No_estimate_before_a_second_and_a_percent_of_work()
    {
        var pace = new Pace();
        Assert.Null(pace.Remaining(S(5), 0.5)); // nothing observed yet
        pace.Observe(S(0), 0.5);
        Assert.Null(pace.Remaining(S(0.5), 0.6));  // under a second
        Assert.Null(pace.Remaining(S(20), 0.505)); // under a percent
        Assert.Null(pace.Remaining(S(20), 1));     // finished
    }
}
