using static Merlinite.Recipes.Schema.ScalarNode;

namespace Merlinite.Recipes.Schema;

/// <summary>Every key a recipe may have, what it holds and which values are possible (mirrors <see cref="Recipe"/>).</summary>
public static class RecipeSchema
{
    private static readonly string[] Targets = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"];

    private static MapNode RewardModel() => new(
        ("path", File(), true),
        ("gpu_layers", Int(min: -1), false));

    public static readonly MapNode Root = new(
        ("name", String(), false),
        ("models", new MapNode(
            ("policy", new MapNode(
                ("base", File(), true),
                ("adapter", File(nullable: true), false),
                ("template", OneOf("merlinite", "raw"), false),
                ("gpu_layers", Int(min: -1), false)), true),
            ("instruct", RewardModel(), true),
            ("reference", RewardModel(), true)), true),
        ("prompts", new MapNode(
            ("files", new ListNode(File(), MinCount: 1), true),
            ("per_round", Int(min: 1), false),
            ("held_out", Int(min: 0), false),
            ("seed", Int(), false),
            ("system", String(nullable: true), false)), true),
        ("rounds", new MapNode(
            ("max", Int(min: 1, max: 100), false),
            ("min_improvement", Number(min: 0, nullable: true), false)), false),
        ("sampling", new MapNode(
            ("n", Int(min: 1, max: 255), false),
            ("temperature", Number(min: 0), false),
            ("top_p", Number(min: 0, max: 1, minExclusive: true), false),
            ("top_k", Int(min: 0), false),
            ("min_p", Number(min: 0, max: 0.999), false),
            ("max_tokens", Int(min: 1), false),
            ("parallel", Int(min: 1, max: 255), false),
            ("stop", new ListNode(String()), false),
            ("seed", Int(min: 0, max: uint.MaxValue - 1), false),
            ("context", Int(min: 64), false)), false),
        ("reward", new MapNode(
            ("beta", Number(min: 0, minExclusive: true), false),
            ("norm", OneOf("sum", "mean"), false),
            ("template", OneOf("merlinite", "model", "raw"), false),
            ("parallel", Int(min: 1, max: 255), false),
            ("context", Int(min: 64), false)), false),
        ("selection", new MapNode(
            ("strategy", OneOf("best_of_n"), false),
            ("min_reward", Number(nullable: true), false),
            ("min_margin", Number(min: 0, nullable: true), false)), false),
        ("sft", new MapNode(
            ("mode", OneOf("from_base", "continue"), false),
            ("rank", Int(min: 1, max: 1024), false),
            ("alpha", Number(min: 0, minExclusive: true), false),
            ("dropout", Number(min: 0, max: 0.999), false),
            ("targets", new ListNode(OneOf(Targets), MinCount: 1), false),
            ("lr", Number(min: 0, minExclusive: true), false),
            ("epochs", Int(min: 1), false),
            ("batch_size", Int(min: 1), false),
            ("grad_accum", Int(min: 1), false),
            ("warmup_steps", Int(min: 0), false),
            ("seed", Int(), false)), false),
        ("eval", new MapNode(
            ("held_out_accuracy", Bool(), false),
            ("max_tokens", Int(min: 1), false)), false),
        ("output", new MapNode(
            ("dir", Directory(), true),
            ("merge", Bool(), false)), true));
}
