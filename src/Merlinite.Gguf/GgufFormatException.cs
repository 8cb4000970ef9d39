namespace Merlinite.Gguf;

/// <summary>
/// A GGUF file is malformed, truncated, or uses something this library does not support, or a metadata value does
/// not have the type its reader expects. The message names the file, the byte offset and what was wrong.
/// </summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException(string message) : base(message) { }

    public GgufFormatException(string message, Exception? innerException) : base(message, innerException) { }

    public GgufFormatException(string message, string? path, long? offset, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = path;
        Offset = offset;
    }

    /// <summary>The file (or display name of an in-memory image) the problem is in, when known.</summary>
    public string? FilePath { get; }

    /// <summary>The byte offset of the offending field, when known.</summary>
    public long? Offset { get; }
}
