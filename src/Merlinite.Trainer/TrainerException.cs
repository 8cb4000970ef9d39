namespace Merlinite.Trainer;

/// <summary>A problem with the user's input (flags, files, data): reported as a one-line message and exit code 1, without a stack trace.</summary>
/// <param name="Kind">What kind of problem, for the caller (sent as the error event's "kind"): "memory_plan" when the run
/// does not fit the device.</param>
public sealed class TrainerException(string message, Exception? inner = null, string? kind = null) : Exception(message, inner)
{
    public string? Kind { get; } = kind;
}
