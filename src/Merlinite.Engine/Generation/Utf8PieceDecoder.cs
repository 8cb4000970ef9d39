using System.Text;

namespace Merlinite.Engine.Generation;

/// <summary>
/// Token pieces can end inside a multi-byte UTF-8 character (byte-fallback tokens do this),
/// so streamed text is decoded statefully and a character is emitted only once it is complete.
/// </summary>
public sealed class Utf8PieceDecoder
{
    private readonly Decoder _decoder = new UTF8Encoding(false, false).GetDecoder();
    private readonly char[] _chars = new char[64];

    public string Push(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        while (!bytes.IsEmpty)
        {
            int take = Math.Min(bytes.Length, 32);
            int n = _decoder.GetChars(bytes[..take], _chars, flush: false);
            sb.Append(_chars, 0, n);
            bytes = bytes[take..];
        }
        return sb.ToString();
    }

    public string Flush()
    {
        int n = _decoder.GetChars(ReadOnlySpan<byte>.Empty, _chars, flush: true);
        return new string(_chars, 0, n);
    }
}
