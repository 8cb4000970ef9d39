namespace Merlinite.Cli.Infrastructure;

public static class ExitCodes
{
    public const int Ok = 0;
    public const int RuntimeError = 1;
    public const int UsageError = 2;
    public const int Interrupted = 130;
}

/// <summary>A problem with what the user asked for (flags, values, missing files): exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
