namespace Merlinite.Engine.Jobs;

/// <summary>What a job run did: nothing (its output was complete and made the same way), or its work.</summary>
/// <param name="UpToDate">The output was already complete and made with the same fingerprint.</param>
/// <param name="Tokens">Tokens generated or scored by this run.</param>
public sealed record JobResult(bool UpToDate, long Tokens = 0);
