namespace Merlinite.Recipes.Running;

/// <summary>
/// An SFT phase's data: all of its own examples, then a seeded draw (without repeats) of the earlier phases' data,
/// round(replay × their count) examples. LAB trains skills with a replay of the knowledge data so that the second
/// phase does not wash out what the first taught.
/// </summary>
public static class ReplayMix
{
    public static List<string> Lines(string own, IReadOnlyList<string> earlier, double replay, int seed)
    {
        var lines = File.ReadLines(own).Where(l => l.Length > 0).ToList();
        var pool = earlier.SelectMany(File.ReadLines).Where(l => l.Length > 0).ToArray();
        int count = Count(pool.Length, replay);
        new Random(seed).Shuffle(pool);
        lines.AddRange(pool.Take(count));
        return lines;
    }

    public static int Count(int earlier, double replay) => (int)Math.Round(earlier * replay, MidpointRounding.AwayFromZero);
}
