using Merlinite.Recipes.Schema;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Merlinite.Recipes.Taxonomy;

/// <summary>
/// Checks the shape of one qna.yaml's nodes and collects every problem with its line:column, in the recipe's words
/// (unknown key, given twice, wrong type, missing key). A check that fails returns null and the caller goes on with
/// the other keys, so a file's problems are all found in one pass. Paths name a place the way a person would look for
/// it: "seed_examples[2].questions_and_answers[0].question".
/// </summary>
internal sealed class YamlShape(string file)
{
    public string File { get; } = file;
    public List<RecipeProblem> Problems { get; } = [];

    /// <summary>What was read leniently, as "file:line:col: text" (not a problem: the file is accepted).</summary>
    public List<string> Notes { get; } = [];

    public void Add(YamlNode node, string message) => Add(node.Start, message);

    public void Add(Mark at, string message) => Problems.Add(new RecipeProblem(File, Math.Max(1, at.Line), Math.Max(1, at.Column), message));

    /// <summary>The mapping's entries by key; unknown and repeated keys are reported at the key, missing
    /// <paramref name="required"/> ones at the mapping. Null when the node is not a mapping.</summary>
    public Dictionary<string, (YamlNode Key, YamlNode Value)>? Mapping(YamlNode node, string path, string[] required, params string[] optional)
    {
        if (node is not YamlMappingNode map)
        {
            Add(node, $"{Name(path)} must be a mapping of keys, not {Describe(node)}");
            return null;
        }
        var allowed = required.Concat(optional).ToArray();
        var entries = new Dictionary<string, (YamlNode, YamlNode)>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in map.Children)
        {
            string key = (keyNode as YamlScalarNode)?.Value ?? "";
            if (!allowed.Contains(key)) Add(keyNode, $"unknown key '{Join(path, key)}' (allowed here: {string.Join(", ", allowed)})");
            else if (!entries.TryAdd(key, (keyNode, value))) Add(keyNode, $"'{Join(path, key)}' is given twice");
        }
        foreach (var key in required.Where(k => !entries.ContainsKey(k)))
            Add(node, $"missing required key '{Join(path, key)}'");
        return entries;
    }

    /// <summary>A non-empty string (any plain scalar counts: YAML reads `answer: 42` as text too).</summary>
    public string? String(YamlNode node, string path)
    {
        if (node is not YamlScalarNode scalar)
        {
            Add(node, $"'{path}' must be a string, not {Describe(node)}");
            return null;
        }
        if (string.IsNullOrWhiteSpace(scalar.Value))
        {
            Add(node, $"'{path}' must not be empty");
            return null;
        }
        return scalar.Value;
    }

    /// <summary>The entry's string, or null (reported) when absent or not a non-empty string.</summary>
    public string? String(Dictionary<string, (YamlNode Key, YamlNode Value)>? map, string path, string key) =>
        map is not null && map.TryGetValue(key, out var e) ? String(e.Value, Join(path, key)) : null;

    /// <summary>A list's items; too few is reported at the list, but the items are still returned to be checked. With
    /// <paramref name="unique"/> (the schema's uniqueItems) an item equal to an earlier one is reported at itself,
    /// naming the earlier one, since a repeated seed example only weighs one example twice.</summary>
    public IReadOnlyList<YamlNode>? List(YamlNode node, string path, int minCount, bool unique = false)
    {
        if (node is not YamlSequenceNode list)
        {
            Add(node, $"'{path}' must be a list, not {Describe(node)}");
            return null;
        }
        if (list.Children.Count < minCount)
            Add(node, $"'{path}' needs at least {Engine.Plural.Of(minCount, "item")} (has {list.Children.Count})");
        var items = list.Children;
        for (int i = 1; unique && i < items.Count; i++)
            for (int j = 0; j < i; j++)
                if (YamlEquality.Same(items[i], items[j]))
                {
                    Add(items[i], $"'{path}[{i}]' repeats '{path}[{j}]' (line {items[j].Start.Line}); "
                        + $"InstructLab requires the items of '{path}' to be unique");
                    break;
                }
        return [.. items];
    }

    public int? Int(YamlNode node, string path)
    {
        if (node is not YamlScalarNode { Value: { } text } || !int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int value))
        {
            Add(node, $"'{path}' must be an integer, not {Describe(node)}");
            return null;
        }
        return value;
    }

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    private static string Name(string path) => path.Length == 0 ? "a qna.yaml" : $"'{path}'";

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode { Value: null or "" } => "empty",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "something else",
    };
}
