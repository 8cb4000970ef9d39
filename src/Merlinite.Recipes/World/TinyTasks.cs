namespace Merlinite.Recipes.World;

/// <summary>One instruction of the tiny world with its right answer and a plausible wrong one.</summary>
public sealed record TinyTask(string Source, string Prompt, string Right, string Wrong);

/// <summary>
/// The tiny world's instruction families, each checked by exact match: add one to a digit, subtract one, name the
/// first or the last digit of a short list. Answers are one digit, so a model of a few hundred thousand parameters
/// can learn them; the wrong answers are the near misses a weak model makes (off by one more, the other end of the
/// list), so the reward has to tell right from almost right.
/// </summary>
public static class TinyTasks
{
    public static readonly string[] Sources = ["increment", "decrement", "first", "last"];

    public static TinyTask Make(string source, Random rng)
    {
        int[] digits = Enumerable.Range(0, rng.Next(3, 5)).Select(_ => rng.Next(10)).ToArray();
        int d = digits[0];
        string list = string.Join(' ', digits);
        return source switch
        {
            "increment" => new(source, $"Add one: {d}", Digit(d + 1), Digit(d + 2)),
            "decrement" => new(source, $"Subtract one: {d}", Digit(d - 1), Digit(d - 2)),
            "first" => new(source, $"First of: {list}", Digit(digits[0]), Other(digits[0], digits[^1], rng)),
            "last" => new(source, $"Last of: {list}", Digit(digits[^1]), Other(digits[^1], digits[0], rng)),
            _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
        };
    }

    private static string Digit(int x) => (((x % 10) + 10) % 10).ToString();

    /// <summary>The other end of the list, unless it is the same digit; then a neighbouring one.</summary>
    private static string Other(int right, int candidate, Random rng) => Digit(candidate != right ? candidate : right + 1 + rng.Next(8));
}
