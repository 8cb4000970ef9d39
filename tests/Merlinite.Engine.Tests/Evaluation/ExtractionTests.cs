using Merlinite.Engine.Evaluation;

namespace Merlinite.Engine.Tests.Evaluation;

public sealed class ExtractionTests
{
    [Theory]
    // text, strict, flexible, reference, strict matches, flexible matches
    [InlineData("She has 3 + 4 = 7 apples.\n#### 7", "7", "7", "#### 7", true, true)]
    [InlineData("The total is $1,200.", "[invalid]", "$1,200.", "So... #### 1200", false, true)]
    [InlineData("#### 12 and later 13", "12", "13", "#### 12", true, false)]
    [InlineData("It is -5 degrees, #### -5", "-5", "-5", "#### -5", true, true)]
    [InlineData("no number at all", "[invalid]", "[invalid]", "#### 4", false, false)]
    [InlineData("Answer: 8", "[invalid]", "8", "#### 8", false, true)]
    public void Strict_takes_the_number_after_the_marker_and_flexible_the_last_number(string text, string strict, string flexible, string reference, bool strictOk, bool flexibleOk)
    {
        Assert.Equal(strict, AnswerExtraction.Strict(text));
        Assert.Equal(flexible, AnswerExtraction.Flexible(text));
        Assert.Equal(strictOk, AnswerExtraction.Matches(AnswerExtraction.Strict(text), reference));
        Assert.Equal(flexibleOk, AnswerExtraction.Matches(AnswerExtraction.Flexible(text), reference));
    }

    [Theory]
    [InlineData("The reply is clear. Rating: [[7]]", 7.0, null)]
    [InlineData("Rating: [[6.5]] and later [[2]]", 6.5, null)]
    [InlineData("Rating: [8]", 8.0, null)]
    [InlineData("[[11]]", null, "rating 11 is outside 1-10")]
    [InlineData("[[0]]", null, "rating 0 is outside 1-10")]
    [InlineData("I would give it an eight.", null, "no [[rating]] in the judgment")]
    [InlineData("", null, "no [[rating]] in the judgment")]
    public void Judge_ratings_are_read_strictly_with_a_fallback_and_failures_are_named(string judgment, double? rating, string? failure)
    {
        var (r, f) = JudgeRating.Parse(judgment);
        Assert.Equal(rating, r);
        Assert.Equal(failure, f);
    }

    [Theory]
    [InlineData("Rating: [[7]]", 7.0)]
    [InlineData("[[11]]", 11.0)] // FastChat keeps any number (ast.literal_eval of the match)
    [InlineData("see [3] and then [[8.5]]", 8.5)] // "[[n]]" first, wherever it is
    [InlineData("see [3], no double brackets", 3.0)]
    [InlineData("no rating", null)]
    public void Mt_bench_ratings_are_read_as_fastchat_reads_them(string judgment, double? rating)
    {
        var (r, f) = JudgeRating.ParseAsFastChat(judgment);
        Assert.Equal(rating, r);
        Assert.Equal(rating is null, f is not null);
    }
}
