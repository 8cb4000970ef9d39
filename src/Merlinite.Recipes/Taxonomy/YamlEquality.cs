using YamlDotNet.RepresentationModel;

namespace Merlinite.Recipes.Taxonomy;

/// <summary>
/// Whether two YAML nodes hold the same data, as JSON Schema's uniqueItems compares the items InstructLab's parser
/// loads: mappings by their keys and values in any order, lists item by item, scalars by their text (a scalar's tag
/// is not resolved: `4` and "4" count as the same, a difference no seed example or pattern should hinge on).
/// </summary>
internal static class YamlEquality
{
    public static bool Same(YamlNode a, YamlNode b) => (a, b) switch
    {
        (YamlScalarNode x, YamlScalarNode y) => x.Value == y.Value,
        (YamlSequenceNode x, YamlSequenceNode y) =>
            x.Children.Count == y.Children.Count && x.Children.Zip(y.Children).All(p => Same(p.First, p.Second)),
        (YamlMappingNode x, YamlMappingNode y) => x.Children.Count == y.Children.Count && x.Children.All(e =>
            y.Children.Any(f => Same(e.Key, f.Key) && Same(e.Value, f.Value))),
        _ => false,
    };
}
