using System.Text.RegularExpressions;

namespace Merlinite.Recipes.Schema;

/// <summary>${NAME} in recipe values is replaced by the environment variable NAME; an unset one is a problem.</summary>
public static partial class EnvironmentExpander
{
    public static string Expand(string value, Func<string, string?>? lookup = null)
    {
        lookup ??= Environment.GetEnvironmentVariable;
        return Variable().Replace(value, m => lookup(m.Groups[1].Value) ?? throw new KeyNotFoundException(m.Groups[1].Value));
    }

    /// <summary>The first variable in <paramref name="value"/> that is not set, or null.</summary>
    public static string? FirstUnset(string value, Func<string, string?>? lookup = null)
    {
        lookup ??= Environment.GetEnvironmentVariable;
        return Variable().Matches(value).Select(m => m.Groups[1].Value).FirstOrDefault(n => lookup(n) is null);
    }

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Variable();
}
