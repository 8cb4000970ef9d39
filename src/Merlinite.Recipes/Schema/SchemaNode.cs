using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Merlinite.Recipes.Schema;

/// <summary>
/// What a place in the recipe may hold, and where its value goes. The loader walks the parsed YAML once: every unknown
/// key, wrong type and missing file is reported with its line and column, and every value that parses is written
/// into the typed <see cref="Recipe"/>. Whether a value is sensible (n &gt;= 1, beta &gt; 0) is not decided here but
/// by the settings records themselves (<see cref="RecipeValidation"/>), the same checks the command line runs.
/// </summary>
public abstract record SchemaNode
{
    public abstract void Check(YamlNode node, string path, CheckContext context);

    protected static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: not (ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted) } s
        && (s.Value is null or "" or "~" or "null");

    protected static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "something else",
    };
}

/// <summary>Collects problems, remembers where each value was written, resolves paths relative to the recipe.</summary>
public sealed class CheckContext(string file, Recipe recipe)
{
    public string File { get; } = file;
    public Recipe Recipe { get; } = recipe;
    public string Directory { get; } = Path.GetDirectoryName(Path.GetFullPath(file))!;
    public List<RecipeProblem> Problems { get; } = [];
    /// <summary>Files referenced but absent (also in <see cref="Problems"/>).</summary>
    public List<RecipeProblem> MissingFiles { get; } = [];
    /// <summary>Where each key's value starts (paths like "sampling.n", "prompts.files[0]").</summary>
    public Dictionary<string, Mark> Positions { get; } = new(StringComparer.Ordinal);

    public void Add(YamlNode node, string message, bool missingFile = false)
    {
        var problem = new RecipeProblem(File, node.Start.Line, node.Start.Column, message);
        Problems.Add(problem);
        if (missingFile) MissingFiles.Add(problem);
    }

    public string Expand(string value) => EnvironmentExpander.Expand(value);

    public string Resolve(string value) => Path.GetFullPath(Path.Combine(Directory, Expand(value)));
}

public sealed record Field(string Key, SchemaNode Node, bool Required = false);

public sealed record MapNode(params Field[] Fields) : SchemaNode
{
    public override void Check(YamlNode node, string path, CheckContext context)
    {
        context.Positions[path] = node.Start;
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
            if (field is null)
            {
                string? near = Engine.Settings.NearestName.Find(key, Fields.Select(f => f.Key));
                string guess = near is null ? "" : $"; did you mean '{near}'?";
                context.Add(keyNode, $"unknown key '{Join(path, key)}'{guess} " +
                                     $"(allowed here: {string.Join(", ", Fields.Select(f => f.Key))})");
                continue;
            }
            if (!seen.Add(key)) { context.Add(keyNode, $"'{Join(path, key)}' is given twice"); continue; }
            field.Node.Check(value, Join(path, key), context);
        }
        foreach (var f in Fields.Where(f => f.Required && !seen.Contains(f.Key)))
            context.Add(node, $"missing required key '{Join(path, f.Key)}'");
    }

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
    private static string Name(string path) => path.Length == 0 ? "the recipe" : $"'{path}'";
}

/// <summary>A scalar: <see cref="Parse"/> turns the text into a value or an error; <see cref="Apply"/> stores the value.</summary>
public sealed record ScalarNode<T>(string Kind, Func<string, CheckContext, (T Value, string? Error)> Parse, Action<Recipe, T> Apply,
    bool Nullable = false) : SchemaNode
{
    public override void Check(YamlNode node, string path, CheckContext context)
    {
        context.Positions[path] = node.Start;
        if (TryRead(node, path, context, out var value)) Apply(context.Recipe, value);
    }

    /// <summary>Reads the value, reporting any problem; false when there is none to apply.</summary>
    public bool TryRead(YamlNode node, string path, CheckContext context, out T value)
    {
        value = default!;
        if (Nullable && IsNull(node)) return true;
        if (node is not YamlScalarNode scalar)
        {
            context.Add(node, $"'{path}' must be {Kind}, not {Describe(node)}");
            return false;
        }
        string text = scalar.Value ?? "";
        if (EnvironmentExpander.FirstUnset(text) is { } unset)
        {
            context.Add(node, $"'{path}': environment variable {unset} is not set");
            return false;
        }
        var (parsed, error) = Parse(text, context);
        if (error is not null)
        {
            context.Add(node, $"'{path}': {error}", missingFile: error.StartsWith(Yaml.MissingFilePrefix, StringComparison.Ordinal));
            return false;
        }
        value = parsed;
        return true;
    }
}

/// <summary>A list of scalars, stored as a whole once every item has been read.</summary>
public sealed record ListNode<T>(ScalarNode<T> Item, int MinCount, Action<Recipe, IReadOnlyList<T>> Apply) : SchemaNode
{
    public override void Check(YamlNode node, string path, CheckContext context)
    {
        context.Positions[path] = node.Start;
        if (node is not YamlSequenceNode list)
        {
            context.Add(node, $"'{path}' must be a list, not {Describe(node)}");
            return;
        }
        if (list.Children.Count < MinCount) context.Add(node, $"'{path}' needs at least {Engine.Plural.Of(MinCount, "item")}");
        var values = new List<T>();
        bool ok = true;
        for (int i = 0; i < list.Children.Count; i++)
        {
            context.Positions[$"{path}[{i}]"] = list.Children[i].Start;
            if (Item.TryRead(list.Children[i], $"{path}[{i}]", context, out var v)) values.Add(v); else ok = false;
        }
        if (ok) Apply(context.Recipe, values);
    }
}

/// <summary>A list of mappings (e.g. eval.tasks): <see cref="Begin"/> adds a fresh item to the recipe, then the
/// item's keys are checked and written into that newest item.</summary>
public sealed record MapListNode(MapNode Item, Action<Recipe> Begin) : SchemaNode
{
    public override void Check(YamlNode node, string path, CheckContext context)
    {
        context.Positions[path] = node.Start;
        if (node is not YamlSequenceNode list)
        {
            context.Add(node, $"'{path}' must be a list, not {Describe(node)}");
            return;
        }
        for (int i = 0; i < list.Children.Count; i++)
        {
            Begin(context.Recipe);
            Item.Check(list.Children[i], $"{path}[{i}]", context);
        }
    }
}

/// <summary>The scalar kinds a recipe uses.</summary>
public static class Yaml
{
    public const string MissingFilePrefix = "file not found: ";
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static ScalarNode<string> String(Action<Recipe, string> apply) => new("a string", (v, c) => (c.Expand(v), null), apply);

    public static ScalarNode<string?> NullableString(Action<Recipe, string?> apply) => new("a string", (v, c) => (c.Expand(v), null), apply, Nullable: true);

    /// <summary>An integer that must fit an int (range checks beyond that belong to the settings).</summary>
    public static ScalarNode<int> Int(Action<Recipe, int> apply) => new("an integer", (v, _) =>
        !long.TryParse(v, NumberStyles.Integer, Inv, out long x) ? (0, $"'{v}' is not an integer")
        : x is < int.MinValue or > int.MaxValue ? (0, $"{v} is out of range") : ((int)x, null), apply);

    /// <summary>gpu_layers: auto (null) or a number of layers, -1 for all.</summary>
    public static ScalarNode<int?> GpuLayers(Action<Recipe, int?> apply) => new("auto or a number of layers", (v, _) =>
    {
        try { return (Engine.Models.ModelSpec.ParseGpuLayers(v), null); }
        catch (Engine.Settings.SettingException e) { return (null, e.Problems[0].Message); }
    }, apply);

    public static ScalarNode<uint> UInt(Action<Recipe, uint> apply) => new("an integer", (v, _) =>
        !long.TryParse(v, NumberStyles.Integer, Inv, out long x) ? (0u, $"'{v}' is not an integer")
        : x is < 0 or > uint.MaxValue ? (0u, $"must be between 0 and {uint.MaxValue} (got {v})") : ((uint)x, null), apply);

    public static ScalarNode<double> Number(Action<Recipe, double> apply) => new("a number", (v, _) =>
        double.TryParse(v, NumberStyles.Float, Inv, out double x) && double.IsFinite(x) ? (x, null) : (0, $"'{v}' is not a number"), apply);

    public static ScalarNode<double?> NullableNumber(Action<Recipe, double?> apply) => new("a number", (v, _) =>
        double.TryParse(v, NumberStyles.Float, Inv, out double x) && double.IsFinite(x) ? (x, null) : (null, $"'{v}' is not a number"), apply, Nullable: true);

    public static ScalarNode<bool> Bool(Action<Recipe, bool> apply) => new("true or false", (v, _) =>
        v is "true" or "false" ? (v == "true", null) : (false, $"'{v}' is not true or false"), apply);

    public static ScalarNode<T> OneOf<T>(IReadOnlyList<(string Name, T Value)> choices, Action<Recipe, T> apply)
    {
        string names = string.Join(", ", choices.Select(c => c.Name));
        return new($"one of {names}", (v, _) =>
            choices.FirstOrDefault(c => c.Name == v) is { Name: not null } hit ? (hit.Value, null) : (default!, $"'{v}' is not one of {names}"), apply);
    }

    public static ScalarNode<string> OneOf(IReadOnlyList<string> names, Action<Recipe, string> apply) =>
        OneOf(names.Select(n => (n, n)).ToList(), apply);

    /// <summary>A file that must exist (relative to the recipe, ${ENV} expanded); <paramref name="check"/> looks inside
    /// it and returns a problem, or null.</summary>
    public static ScalarNode<string> File(Action<Recipe, string> apply, Func<string, string?>? check = null, bool nullable = false) =>
        new("a file path", (v, c) =>
        {
            string path = c.Resolve(v);
            if (Directory.Exists(path)) return (path, $"{path} is a folder, not a file");
            if (!System.IO.File.Exists(path)) return (path, MissingFilePrefix + path);
            return (path, check?.Invoke(path));
        }, apply, nullable);

    public static ScalarNode<string> Folder(Action<Recipe, string> apply) =>
        new("a folder path", (v, c) => v.Length == 0 ? ("", "must not be empty") : (c.Resolve(v), null), apply);
}
