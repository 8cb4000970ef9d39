using System.Text.Encodings.Web;
using System.Text.Json;

namespace Merlinite.Engine.Data;

/// <summary>
/// How the tool writes JSON files: text as people typed it. The default encoder writes '&lt;' as \u003C and every
/// non-ASCII letter as \uXXXX (safe to paste into HTML, which these files never are), so `&lt;|endoftext|&gt;` or "é"
/// became unreadable; the relaxed encoder escapes only what JSON requires (quotes, backslashes, control characters).
/// </summary>
public static class JsonStyle
{
    public static readonly JsonWriterOptions Line = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    public static readonly JsonWriterOptions IndentedWriter = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = true };
    public static readonly JsonSerializerOptions Compact =
        new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    public static readonly JsonSerializerOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };
}
