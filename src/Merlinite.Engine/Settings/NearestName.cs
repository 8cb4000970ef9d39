namespace Merlinite.Engine.Settings;

/// <summary>"Did you mean …?": the known name nearest to a mistyped one, if close enough to be the likely intent. One
/// rule for flags, commands and recipe keys.</summary>
public static class NearestName
{
    /// <summary>The nearest of <paramref name="names"/> (shorter first on ties), or null when none is near: up to a
    /// third of the name may differ, at least one edit and at most three ("threds" → "threads", not "seed"). Leading
    /// dashes do not count ("-threads" is "--threads"); a one-letter name must match exactly, as every
    /// other short name is an edit away from it ("-n" is not "-m").</summary>
    public static string? Find(string typed, IEnumerable<string> names)
    {
        string bare = typed.TrimStart('-');
        var best = names.Select(n => (Name: n, Distance: Distance(bare, n.TrimStart('-'))))
            .OrderBy(x => x.Distance).ThenBy(x => x.Name.Length).FirstOrDefault();
        int allowed = bare.Length <= 1 ? 0 : Math.Clamp(bare.Length / 3, 1, 3);
        return best.Name is not null && best.Distance <= allowed ? best.Name : null;
    }

    /// <summary>Damerau–Levenshtein distance (optimal string alignment): swapped neighbours count as one
    /// edit.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
