using System.Globalization;
using System.Text;

namespace Merlinite.Cli.Terminal;

/// <summary>Model text made safe to show on a terminal: every control character but newline and tab, C1 controls
/// included (a lone 0x9B starts an escape sequence on some terminals), is shown as \xNN.</summary>
public static class TerminalText
{
    public static string Escape(string text)
    {
        if (!text.Any(IsUnsafe)) return text;
        var sb = new StringBuilder(text.Length + 8);
        foreach (char c in text)
            if (!IsUnsafe(c)) sb.Append(c);
            else sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); // all are below 0x100
        return sb.ToString();
    }

    private static bool IsUnsafe(char c) => char.IsControl(c) && c is not '\n' and not '\t';
}
