using YamlDotNet.Serialization;

namespace Merlinite.Recipes.Schema;

/// <summary>The compile-time (AOT-safe) type map for YamlDotNet's static deserializer.</summary>
[YamlStaticContext]
[YamlSerializable(typeof(Recipe))]
[YamlSerializable(typeof(ModelsSection))]
[YamlSerializable(typeof(PolicyModel))]
[YamlSerializable(typeof(RewardModel))]
[YamlSerializable(typeof(PromptsSection))]
[YamlSerializable(typeof(RoundsSection))]
[YamlSerializable(typeof(SamplingSection))]
[YamlSerializable(typeof(RewardSection))]
[YamlSerializable(typeof(SelectionSection))]
[YamlSerializable(typeof(SftSection))]
[YamlSerializable(typeof(EvalSection))]
[YamlSerializable(typeof(OutputSection))]
public partial class RecipeYamlContext : YamlDotNet.Serialization.StaticContext;
