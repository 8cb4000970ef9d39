namespace Merlinite.Engine.Jobs;

/// <summary>
/// Time left, from the rate of the work done by this process. A resumed job starts part way (34 % of a training run
/// kept from before an interrupt): counting that part as if it had taken this process's seconds would promise the
/// rest in a fraction of its real time. So the clock and the fraction both count from the first report.
/// </summary>
public sealed class Pace
{
    // One reference, written once: the display's render thread reads it while the work's thread reports.
    private sealed record Start(double Fraction, TimeSpan Time);
    private Start? _start;

    /// <summary>Notes a report made <paramref name="elapsed"/> after the task began.</summary>
    public void Observe(TimeSpan elapsed, double fraction)
    {
        if (Volatile.Read(ref _start) is null)
            Interlocked.CompareExchange(ref _start, new Start(fraction, elapsed), null);
    }

    /// <summary>Null until there is enough to go on: a second of work and a percent of progress in this
    /// process.</summary>
    public TimeSpan? Remaining(TimeSpan elapsed, double fraction)
    {
        if (Volatile.Read(ref _start) is not { } start || fraction >= 1) return null;
        double done = fraction - start.Fraction;
        var spent = elapsed - start.Time;
        return done > 0.01 && spent > TimeSpan.FromSeconds(1) ? spent * ((1 - fraction) / done) : null;
    }

    /// <summary>"1m05s", "12.3 s", "3h07m": durations as people read them (progress lines, plan estimates).</summary>
    public static string Format(TimeSpan t) =>
        t.TotalSeconds < 60 ? FormattableString.Invariant($"{t.TotalSeconds:F1} s")
        : t.TotalHours < 1 ? FormattableString.Invariant($"{(int)t.TotalMinutes}m{t.Seconds:D2}s")
        : FormattableString.Invariant($"{(int)t.TotalHours}h{t.Minutes:D2}m");
}
