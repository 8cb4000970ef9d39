using Merlinite.Engine.Outputs;

namespace Merlinite.Engine.Jobs;

/// <summary>
/// The one contract of every phase of a run: the file it makes, the files it is made from (that other jobs may make),
/// the fingerprint that says whether the file on disk is still what is asked for, and the making itself, which resumes
/// a partial output made the same way and recomputes one made differently. The runner, the dry-run and the plan read
/// only this.
/// </summary>
public interface IJob
{
    OutputFile Output { get; }
    IReadOnlyList<string> Inputs { get; }
    Fingerprint Fingerprint();
    /// <param name="report">The share done (0..1) and a line to show (null: keep the last).</param>
    void Make(Action<double, string?> report, CancellationToken ct);
}

/// <summary>A job whose file is made whole in one go from its inputs (a draw, a selection, a merge): no partial output
/// to resume, so making always starts over.</summary>
public abstract class WholeFileJob : IJob
{
    public abstract OutputFile Output { get; }
    public abstract IReadOnlyList<string> Inputs { get; }
    public abstract Fingerprint Fingerprint();

    public void Make(Action<double, string?> report, CancellationToken ct)
    {
        Output.Prepare(Fingerprint(), ReuseRule.Recompute);
        Write(report, ct);
    }

    /// <summary>Writes <see cref="Output"/> (atomically: a half-written file never carries its name).</summary>
    protected abstract void Write(Action<double, string?> report, CancellationToken ct);

}
