using System.Globalization;
using System.Text.RegularExpressions;

namespace Merlinite.Engine.Evaluation;

/// <summary>
/// Reads a judge's rating: the first "[[N]]" (the format the judge prompt asks for), else the first "[N]" (judges
/// that drop a bracket), where N is a number from 1 to 10. Anything else is a failed judgment: counted and reported,
/// never a silent zero.
/// </summary>
public static partial class JudgeRating
{
    public static (double? Rating, string? Failure) Parse(string judgment)
    {
        var (rating, failure) = ParseAsFastChat(judgment);
        return rating is not double r || r is >= 1 and <= 10 ? (rating, failure)
            : (null, $"rating {r.ToString(CultureInfo.InvariantCulture)} is outside 1-10");
    }

    /// <summary>As FastChat's MT-Bench judging reads a rating: the first "[[N]]", else the first "[N]", whatever the
    /// number (FastChat records a judgment without either as -1 and leaves it out of the scores; so do we, as null with
    /// the reason).</summary>
    public static (double? Rating, string? Failure) ParseAsFastChat(string judgment)
    {
        var m = Strict().Match(judgment);
        if (!m.Success) m = Fallback().Match(judgment);
        return m.Success ? (double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), null)
            : (null, "no [[rating]] in the judgment");
    }

    [GeneratedRegex(@"\[\[(\d+\.?\d*)\]\]")]
    private static partial Regex Strict();

    [GeneratedRegex(@"\[(\d+\.?\d*)\]")]
    private static partial Regex Fallback();
}
