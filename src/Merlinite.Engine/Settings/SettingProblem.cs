using System.Globalization;

namespace Merlinite.Engine.Settings;

/// <summary>
/// A setting whose value cannot work, named by its setting key ("n", "context", "lr"). <see cref="Message"/> speaks of
/// the value, not of a command-line flag or a recipe key: the command line shows it as "--n: must be at least 1" and a
/// recipe as "recipe.yaml:8:5: 'sampling.n': must be at least 1". Other settings a message refers to are written
/// {key} and named the same way by whoever shows it.
/// </summary>
public sealed record SettingProblem(string Key, string Message)
{
    /// <summary>The message with every {key} reference replaced by <paramref name="name"/>(key); {{text}} stands for a
    /// literal {text} (a prompt's slot, say).</summary>
    public string Render(Func<string, string> name)
    {
        var text = new System.Text.StringBuilder();
        int i = 0;
        while (i < Message.Length)
        {
            bool literal = Message.AsSpan(i).StartsWith("{{");
            int end = Message[i] != '{' ? -1 : Message.IndexOf(literal ? "}}" : "}", i, StringComparison.Ordinal);
            if (end < 0) { text.Append(Message[i++]); continue; }
            string inner = Message[(i + (literal ? 2 : 1))..end];
            text.Append(literal ? "{" + inner + "}" : name(inner));
            i = end + (literal ? 2 : 1);
        }
        return text.ToString();
    }

    public override string ToString() => $"{Key}: {Render(k => k)}";
}

/// <summary>One or more settings that cannot work; thrown before any work starts.</summary>
public sealed class SettingException(IReadOnlyList<SettingProblem> problems) : ArgumentException(string.Join("; ", problems))
{
    public SettingException(string key, string message) : this([new SettingProblem(key, message)]) { }

    public IReadOnlyList<SettingProblem> Problems { get; } = problems;

    /// <summary>Throws when <paramref name="problems"/> holds anything.</summary>
    public static void ThrowIfAny(IEnumerable<SettingProblem?> problems)
    {
        var list = problems.OfType<SettingProblem>().ToList();
        if (list.Count > 0) throw new SettingException(list);
    }
}

/// <summary>The range checks every settings record uses, so each setting is validated in exactly one place.</summary>
public static class Require
{
    private static string S(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    public static SettingProblem? AtLeast(string key, long value, long min) =>
        value < min ? new(key, $"must be at least {min} (got {value})") : null;

    public static SettingProblem? Between(string key, long value, long min, long max) =>
        value < min || value > max ? new(key, $"must be between {min} and {max} (got {value})") : null;

    public static SettingProblem? AtLeast(string key, double value, double min) =>
        !double.IsFinite(value) || value < min ? new(key, $"must be at least {S(min)} (got {S(value)})") : null;

    public static SettingProblem? Above(string key, double value, double min) =>
        !double.IsFinite(value) || value <= min ? new(key, $"must be greater than {S(min)} (got {S(value)})") : null;

    /// <summary>min &lt; value &lt;= max, or with <paramref name="minInclusive"/> min &lt;= value.</summary>
    public static SettingProblem? InRange(string key, double value, double min, double max, bool minInclusive, bool maxInclusive) =>
        !double.IsFinite(value) || (minInclusive ? value < min : value <= min) || (maxInclusive ? value > max : value >= max)
            ? new(key, $"must be in {(minInclusive ? "[" : "(")}{S(min)}, {S(max)}{(maxInclusive ? "]" : ")")} (got {S(value)})")
            : null;

    public static SettingProblem? NotEmpty(string key, string? value) =>
        string.IsNullOrEmpty(value) ? new(key, "must not be empty") : null;
}
