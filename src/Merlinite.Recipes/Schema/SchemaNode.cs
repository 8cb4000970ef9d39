using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Merlinite.Recipes.Schema;

/// <summary>
/// What a place in the recipe may hold. The checker walks the parsed YAML once and reports every unknown key, wrong
/// type, impossible value and missing file with its line and column, before anything is deserialized or run.
/// </summary>
public abstract record SchemaNode
{
    public abstract void Check(YamlNode node, string path, CheckContext context);

    protected static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted) } s
        && (s.Value is null or "" or "~" or "null");

    protected static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "something else",
    };
}

/// <summary>Collects problems and resolves paths relative to the recipe.</summary>
public sealed class CheckContext(string file, Func<string, string> expand)
{
    public string File { get; } = file;
    /// <summary>Files referenced but absent, as problems (also listed in <see cref="Problems"/>).</summary>
    public List<RecipeProblem> MissingFiles { get; } = [];
    public string Directory { get; } = Path.GetDirectoryName(Path.GetFullPath(file))!;
    public List<RecipeProblem> Problems { get; } = [];

    public void Add(YamlNode node, string message)
    {
        var problem = new RecipeProblem(File, node.Start.Line, node.Start.Column, message);
        Problems.Add(problem);
        if (message.Contains(ScalarNode.MissingFilePrefix, StringComparison.Ordinal)) MissingFiles.Add(problem);
    }

    public string Expand(string value) => expand(value);

    public string Resolve(string value) => Path.GetFullPath(Path.Combine(Directory, Expand(value)));
}

public sealed record MapNode(params (string Key, SchemaNode Value, bool Required)[] Fields) : SchemaNode
{
    public override void Check(YamlNode node, string path, CheckContext context)
    {
        if (node is not YamlMappingNode map)
        {
            context.Add(node, $"{Name(path)} must be a mapping of keys, not {Describe(node)}");
            return;
        }
        var seen = new HashSet<string>();
        foreach (var (keyNode, value) in map.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? "";
            var field = Fields.FirstOrDefault(f => f.Key == key);
            if (field.Value is null)
            {
                string known = string.Join(", ", Fields.Select(f => f.Key));
                context.Add(keyNode, $"unknown key '{Join(path, key)}' (allowed here: {known})");
                continue;
            }
            if (!seen.Add(key)) { context.Add(keyNode, $"'{Join(path, key)}' is given twice"); continue; }
            field.Value.Check(value, Join(path, key), context);
        }
        foreach (var f in Fields.Where(f => f.Required && !seen.Contains(f.Key)))
            context.Add(node, $"missing required key '{Join(path, f.Key)}'");
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
    private static string Name(string path) => path.Length == 0 ? "the recipe" : $"'{path}'";
}

public sealed record ListNode(SchemaNode Item, int MinCount = 0) : SchemaNode
{
    public override void Check(YamlNode node, string path, CheckContext context)
    {
        if (node is not YamlSequenceNode list)
        {
            context.Add(node, $"'{path}' must be a list, not {Describe(node)}");
            return;
        }
        if (list.Children.Count < MinCount) context.Add(node, $"'{path}' needs at least {MinCount} item(s)");
        for (int i = 0; i < list.Children.Count; i++) Item.Check(list.Children[i], $"{path}[{i}]", context);
    }
}

/// <summary>A scalar; <paramref name="Test"/> returns an error message for a bad value, or null.</summary>
public sealed record ScalarNode(string Kind, Func<string, CheckContext, string?> Test, bool Nullable = false) : SchemaNode
{
    public override void Check(YamlNode node, string path, CheckContext context)
    {
        if (Nullable && IsNull(node)) return;
        if (node is not YamlScalarNode scalar)
        {
            context.Add(node, $"'{path}' must be {Kind}, not {Describe(node)}");
            return;
        }
        if (EnvironmentExpander.FirstUnset(scalar.Value ?? "") is { } unset)
            context.Add(node, $"'{path}': environment variable {unset} is not set");
        else if (Test(scalar.Value ?? "", context) is { } error)
            context.Add(node, $"'{path}': {error}");
    }

    public static ScalarNode String(bool nullable = false) => new("a string", (_, _) => null, nullable);

    public static ScalarNode Int(long min = long.MinValue, long max = long.MaxValue) => new("an integer", (v, _) =>
        !long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long x) ? $"'{v}' is not an integer"
        : x < min ? $"must be at least {min} (got {x})"
        : x > max ? $"must be at most {max} (got {x})"
        : null);

    public static ScalarNode Number(double min = double.NegativeInfinity, double max = double.PositiveInfinity,
        bool minExclusive = false, bool nullable = false) => new("a number", (v, _) =>
        !double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) || !double.IsFinite(x) ? $"'{v}' is not a number"
        : minExclusive && x <= min ? $"must be greater than {min.ToString(CultureInfo.InvariantCulture)} (got {v})"
        : x < min ? $"must be at least {min.ToString(CultureInfo.InvariantCulture)} (got {v})"
        : x > max ? $"must be at most {max.ToString(CultureInfo.InvariantCulture)} (got {v})"
        : null, nullable);

    public static ScalarNode Bool() => new("true or false", (v, _) => v is "true" or "false" ? null : $"'{v}' is not true or false");

    public static ScalarNode OneOf(params string[] values) => new($"one of {string.Join(", ", values)}", (v, _) =>
        values.Contains(v) ? null : $"'{v}' is not one of {string.Join(", ", values)}");

    /// <summary>A file that must exist (relative to the recipe, ${ENV} expanded).</summary>
    public static ScalarNode File(bool nullable = false) => new("a file path", (v, c) =>
        System.IO.File.Exists(c.Resolve(v)) ? null : $"{MissingFilePrefix}{c.Resolve(v)}", nullable);

    public const string MissingFilePrefix = "file not found: ";

    public static ScalarNode Directory() => new("a folder path", (v, _) => v.Length == 0 ? "must not be empty" : null);
}
