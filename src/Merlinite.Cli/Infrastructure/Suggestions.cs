using System.CommandLine;

namespace Merlinite.Cli.Infrastructure;

/// <summary>"Did you mean …?" for a mistyped option or command: the closest name by edit distance, if close enough to
/// be the likely intent.</summary>
public static class Suggestions
{
    /// <summary>The option (for a token starting with '-') or subcommand of <paramref name="command"/> nearest to
    /// <paramref name="token"/>, or null when none is near.</summary>
    public static string? Closest(Command command, string token)
    {
        IEnumerable<string> names = token.StartsWith('-')
            ? command.Options.Concat(Ancestors(command).SelectMany(p => p.Options.Where(o => o.Recursive)))
                .Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name))
            : command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name));
        string key = token.Split('=', 2)[0];
        var best = names.Where(n => n.StartsWith('-') == key.StartsWith('-'))
            .Select(n => (Name: n, Distance: Distance(key, n)))
            .OrderBy(x => x.Distance).ThenBy(x => x.Name.Length)
            .FirstOrDefault();
        // Up to a third of the name may differ (at least 1, at most 3 edits): "--threds" → "--threads", not "--seed".
        int allowed = Math.Clamp(key.TrimStart('-').Length / 3, 1, 3);
        return best.Name is not null && best.Distance <= allowed ? best.Name : null;
    }

    private static IEnumerable<Command> Ancestors(Command command)
    {
        for (var c = command.Parents.OfType<Command>().FirstOrDefault(); c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            yield return c;
    }

    /// <summary>Damerau–Levenshtein distance (optimal string alignment): swapped neighbours count as one edit.</summary>
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
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
