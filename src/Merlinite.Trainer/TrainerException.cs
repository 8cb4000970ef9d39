namespace Merlinite.Trainer;

/// <summary>A problem with the user's input (flags, files, data): reported as a one-line message and exit code 1, without a stack trace.</summary>
public sealed class TrainerException(string message, Exception? inner = null) : Exception(message, inner);
