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
        var m = Strict().Match(judgment);
        if (!m.Success) m = Fallback().Match(judgment);
        if (!m.Success) return (null, "no [[rating]] in the judgment");
        double rating = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return rating is >= 1 and <= 10 ? (rating, null) : (null, $"rating {m.Groups[1].Value} is outside 1-10");
    }

    [GeneratedRegex(@"\[\[(\d+\.?\d*)\]\]")]
    private static partial Regex Strict();

    [GeneratedRegex(@"\[(\d+\.?\d*)\]")]
    private static partial Regex Fallback();
}
