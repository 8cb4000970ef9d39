using System.Text.RegularExpressions;

namespace Merlinite.Engine.Evaluation;

/// <summary>
/// GSM8K's two answer filters, as lm-evaluation-harness defines them: strict takes the number after "#### " (the
/// format the few-shot solutions teach), flexible takes the last number in the text. Both the extracted answer and the
/// reference are normalised the same way before an exact comparison: commas, dollar signs and a final full stop
/// removed, everything up to "#### " dropped.
/// </summary>
public static partial class AnswerExtraction
{
    public const string Invalid = "[invalid]";

    /// <summary>The number after the first "#### ", or <see cref="Invalid"/>.</summary>
    public static string Strict(string text) => StrictPattern().Match(text) is { Success: true } m ? m.Groups[1].Value : Invalid;

    /// <summary>The last number in the text (with at least two characters of digits, '.', ',' or '$', or a bare
    /// integer), or <see cref="Invalid"/>.</summary>
    public static string Flexible(string text)
    {
        var matches = FlexiblePattern().Matches(text);
        if (matches.Count == 0) return Invalid;
        var last = matches[^1];
        return last.Groups[1].Success && last.Groups[1].Length > 0 ? last.Groups[1].Value : last.Groups[2].Value;
    }

    /// <summary>The reference number of a GSM8K solution ("... #### 42"), normalised; null when there is none (no
    /// marker, or nothing after it: no answer could ever match an empty reference).</summary>
    public static string? Reference(string solution) =>
        solution.Contains("#### ", StringComparison.Ordinal) && Normalize(solution) is { Length: > 0 } reference
            ? reference : null;

    public static string Normalize(string text)
    {
        text = UpToMarker().Replace(text, "");
        text = text.Replace(",", "", StringComparison.Ordinal).Replace("$", "", StringComparison.Ordinal);
        text = TrailingStop().Replace(text, "");
        return text.Trim().ToLowerInvariant();
    }

    public static bool Matches(string extracted, string reference) => extracted != Invalid && Normalize(extracted) == Normalize(reference);

    [GeneratedRegex(@"#### (\-?[0-9\.\,]+)")]
    private static partial Regex StrictPattern();

    [GeneratedRegex(@"(-?[$0-9.,]{2,})|(-?[0-9]+)")]
    private static partial Regex FlexiblePattern();

    [GeneratedRegex(@"(?s).*#### ")]
    private static partial Regex UpToMarker();

    [GeneratedRegex(@"\.$")]
    private static partial Regex TrailingStop();
}
