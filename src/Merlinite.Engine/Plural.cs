namespace Merlinite.Engine;

/// <summary>"1 reward", "2 rewards": counts in messages read as English.</summary>
public static class Plural
{
    public static string Of(long n, string noun, string? plural = null) =>
        $"{n} {(n == 1 ? noun : plural ?? noun + "s")}";
}
