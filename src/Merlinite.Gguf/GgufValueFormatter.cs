using System.Globalization;
using System.Text;

namespace Merlinite.Gguf;

/// <summary>One-line human rendering of metadata values, shared by <see cref="GgufValue.ToString"/> and <see cref="GgufInfo"/>.</summary>
internal static class GgufValueFormatter
{
    // When an array is summarised, this many leading elements are still shown: enough to recognise a vocabulary
    // ("<unk>", "<s>", "</s>") without flooding the terminal.
    private const int SummaryHead = 3;

    /// <param name="maxElements">arrays longer than this are summarised to their first few elements.</param>
    /// <param name="maxStringLength">strings longer than this are cut (0 = never).</param>
    public static string Format(GgufValue value, int maxElements, int maxStringLength)
    {
        var sb = new StringBuilder();
        if (value.IsArray)
        {
            sb.Append(value.TypeName).Append(' ');
            AppendElements(sb, value, maxElements, maxStringLength);
        }
        else
        {
            AppendScalar(sb, value, maxStringLength);
        }
        return sb.ToString();
    }

    private static void AppendElements(StringBuilder sb, GgufValue array, int maxElements, int maxStringLength)
    {
        int n = array.ArrayLength;
        int shown = n <= maxElements ? n : Math.Min(SummaryHead, n);
        for (int i = 0; i < shown; i++)
        {
            if (i > 0) sb.Append(", ");
            var element = array.GetElement(i);
            if (element.IsArray)
            {
                sb.Append('[');
                AppendElements(sb, element, maxElements, maxStringLength);
                sb.Append(']');
            }
            else
            {
                AppendScalar(sb, element, maxStringLength);
            }
        }
        if (shown < n) sb.Append(shown > 0 ? ", ..." : "...");
    }

    private static void AppendScalar(StringBuilder sb, GgufValue value, int maxStringLength)
    {
        switch (value.Type)
        {
            case GgufValueType.String:
                AppendQuoted(sb, value.AsString(), maxStringLength);
                break;
            case GgufValueType.Bool:
                sb.Append(value.AsBool() ? "true" : "false");
                break;
            case GgufValueType.Float32:
                sb.Append(value.AsFloat32().ToString("R", CultureInfo.InvariantCulture));
                break;
            case GgufValueType.Float64:
                sb.Append(value.AsFloat64().ToString("R", CultureInfo.InvariantCulture));
                break;
            case GgufValueType.UInt64:
                sb.Append(value.AsUInt64().ToString(CultureInfo.InvariantCulture));
                break;
            default:
                sb.Append(value.AsInt64().ToString(CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>Quotes and escapes so that control characters (newlines in chat templates) keep the output one line.</summary>
    public static void AppendQuoted(StringBuilder sb, string s, int maxLength)
    {
        bool cut = maxLength > 0 && s.Length > maxLength;
        ReadOnlySpan<char> text = cut ? s.AsSpan(0, maxLength) : s;
        sb.Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x7f) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
        if (cut) sb.Append("... (").Append(s.Length.ToString(CultureInfo.InvariantCulture)).Append(" chars)");
    }
}
