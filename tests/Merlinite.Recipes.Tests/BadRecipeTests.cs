using Merlinite.Recipes;
using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes.Tests;

/// <summary>Malformed recipes: each gets its own message at the right line and column, and every problem is listed.</summary>
public sealed class BadRecipeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-recipe-").FullName;

    public BadRecipeTests()
    {
        RecipeFixtures.Write(_dir, "base.gguf", "instruct.gguf", "reference.gguf");
    }

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>A valid recipe; line numbers in the tests refer to this layout (1-based).</summary>
    internal const string Good = """
        name: test
        models:
          policy:
            base: base.gguf
          instruct:
            path: instruct.gguf
          reference:
            path: reference.gguf
        prompts:
          files: [prompts.jsonl]
          per_round: 8
          held_out: 4
        sampling:
          n: 4
          temperature: 1.0
        reward:
          beta: 0.1
        output:
          dir: out
        """;

    private RecipeException Fails(string yaml)
    {
        string file = Path.Combine(_dir, "recipe.yaml");
        File.WriteAllText(file, yaml);
        return Assert.Throws<RecipeException>(() => RecipeLoader.Load(file));
    }

    private static void Has(RecipeException e, long line, long column, string text)
    {
        Assert.Contains(e.Problems, p => p.Line == line && p.Column == column && p.Message.Contains(text, StringComparison.Ordinal));
        Assert.All(e.Problems, p => Assert.EndsWith("recipe.yaml", p.File));
    }

    [Fact]
    public void The_good_recipe_loads_with_resolved_paths_and_defaults()
    {
        string file = Path.Combine(_dir, "recipe.yaml");
        File.WriteAllText(file, Good);
        var loaded = RecipeLoader.Load(file);
        Assert.Equal(Path.Combine(_dir, "base.gguf"), loaded.Recipe.Policy.Path);
        Assert.Equal(Path.Combine(_dir, "out"), loaded.Recipe.Output.Dir);
        Assert.Equal(4, loaded.Recipe.Sampling.N);
        Assert.Equal(SftMode.FromBase, loaded.Recipe.Sft.Mode);
        // Keys the recipe does not give take the Engine's defaults, the same the commands have.
        Assert.Equal(new Merlinite.Engine.Jobs.TrainSettings().Rank, loaded.Recipe.Sft.Train.Rank);
        Assert.Equal(new Merlinite.Engine.Generation.SamplingOptions().TopK, loaded.Recipe.Sampling.Sampling.TopK);
        Assert.Equal(64, loaded.Sha256.Length);
    }

    [Fact] public void Not_yaml() => Has(Fails(Good.Replace("  policy:\n", "  policy:\n\t")), 4, 1, "not valid YAML");
    [Fact] public void Unknown_top_level_key() => Has(Fails(Good + "\nroundz: 3"), 20, 1, "unknown key 'roundz'");
    [Fact] public void A_mistyped_key_gets_the_nearest_name() => Has(Fails(Good + "\nrondus: 3"), 20, 1, "unknown key 'rondus'; did you mean 'rounds'?");
    [Fact] public void Unknown_nested_key_lists_the_allowed_ones() => Has(Fails(Good.Replace("  temperature: 1.0", "  temprature: 1.0")), 15, 3, "allowed here: n, temperature");
    [Fact] public void Wrong_type() => Has(Fails(Good.Replace("  n: 4", "  n: eight")), 14, 6, "'sampling.n': 'eight' is not an integer");
    [Fact] public void N_below_one() => Has(Fails(Good.Replace("  n: 4", "  n: 0")), 14, 6, "'sampling.n': must be between 1 and 255 (got 0)");
    [Fact] public void Beta_zero() => Has(Fails(Good.Replace("beta: 0.1", "beta: 0")), 17, 9, "'reward.beta': must be greater than 0");
    [Fact] public void Beta_negative() => Has(Fails(Good.Replace("beta: 0.1", "beta: -1")), 17, 9, "must be greater than 0");
    [Fact] public void Top_p_above_one() => Has(Fails(Good.Replace("  temperature: 1.0", "  top_p: 1.5")), 15, 10, "'sampling.top_p': must be in (0, 1] (got 1.5)");
    [Fact] public void Missing_required_key() => Has(Fails(Good.Replace("    base: base.gguf\n", "    template: merlinite\n")), 4, 5, "missing required key 'models.policy.base'");
    [Fact] public void Missing_file() => Has(Fails(Good.Replace("instruct.gguf", "nope.gguf")), 6, 11, "file not found: ");
    [Fact] public void Empty_prompt_list() => Has(Fails(Good.Replace("[prompts.jsonl]", "[]")), 10, 10, "needs at least 1 item");
    [Fact] public void Prompt_files_not_a_list() => Has(Fails(Good.Replace("[prompts.jsonl]", "prompts.jsonl")), 10, 10, "must be a list");
    [Fact] public void Bad_choice() => Has(Fails(Good.Replace("  beta: 0.1", "  beta: 0.1\n  norm: median")), 18, 9, "'median' is not one of sum, mean");
    [Fact] public void Bad_lora_target() => Has(Fails(Good + "\nsft:\n  targets: [attn_q, attn_x]"), 21, 21, "'attn_x' is not one of");
    [Fact] public void Unset_environment_variable() => Has(Fails(Good.Replace("dir: out", "dir: ${MERLINITE_TEST_UNSET_VAR}/out")), 19, 8, "environment variable MERLINITE_TEST_UNSET_VAR is not set");
    [Fact] public void Duplicate_key() => Has(Fails(Good + "\nname: again"), 20, 1, "not valid YAML");
    [Fact] public void Rounds_negative() => Has(Fails(Good + "\nrounds:\n  max: -1"), 21, 8, "'rounds.max': must be between 0 and 100 (got -1)");
    [Fact] public void Unknown_executor() => Has(Fails(Good + "\ncluster:\n  executor: pbs"), 21, 13, "'pbs' is not one of local, slurm, kubernetes");
    [Fact] public void Shards_zero() => Has(Fails(Good + "\ncluster:\n  shards: 0"), 21, 11, "'cluster.shards': must be between 1 and 10000 (got 0)");
    [Fact] public void Slurm_keys_with_another_executor() => Has(Fails(Good + "\ncluster:\n  executor: local\n  slurm: {partition: gpu}"), 22, 22, "'cluster.slurm.partition': is for the slurm executor; the executor here is local");
    [Fact] public void Nested_100000_levels_deep() => Has(Fails("name: x\nmodels: " + new string('{', 100_000)), 2, 72, "nested more than 64 levels deep");
    [Fact] public void Kubernetes_without_its_image() => Has(Fails(Good + "\ncluster:\n  executor: kubernetes\n  kubernetes: {volume_claim: c, mount_path: /m}"), 21, 3, "'cluster.kubernetes.image': is required");
    [Fact] public void Kubernetes_mount_path_relative() => Has(Fails(Good + "\ncluster:\n  executor: kubernetes\n  kubernetes: {image: i, volume_claim: c, mount_path: shared}"), 22, 55, "must be an absolute path (got 'shared')");

    [Fact]
    public void Rounds_zero_is_round_0_alone_and_cluster_defaults_to_one_local_shard()
    {
        string file = Path.Combine(_dir, "recipe.yaml");
        File.WriteAllText(file, Good + "\nrounds:\n  max: 0");
        var r = RecipeLoader.Load(file).Recipe;
        Assert.Equal(0, r.Rounds.Max);
        Assert.Equal(1, r.Cluster.Shards);
        Assert.Equal(ShardExecutor.Local, r.Cluster.Executor);
    }
    [Fact] public void Section_of_the_wrong_shape() => Has(Fails(Good.Replace("sampling:\n  n: 4\n  temperature: 1.0", "sampling: [4]")), 13, 11, "'sampling' must be a mapping");
    [Fact] public void Missing_output() => Has(Fails(Good.Replace("output:\n  dir: out", "")), 1, 1, "missing required key 'output'");
    [Fact] public void More_prompts_per_round_than_the_pool_holds() => Has(Fails(Good.Replace("per_round: 8", "per_round: 17")), 10, 3, "fewer than per_round = 17");

    [Fact]
    public void Every_problem_is_listed_not_just_the_first()
    {
        var e = Fails(Good.Replace("  n: 4", "  n: 0").Replace("beta: 0.1", "beta: -2").Replace("instruct.gguf", "nope.gguf") + "\nextra: 1");
        Assert.Equal(4, e.Problems.Count);
        Assert.Equal(e.Problems.OrderBy(p => p.Line).Select(p => p.Line), e.Problems.Select(p => p.Line));
    }

    [Fact]
    public void Environment_variables_expand_in_paths()
    {
        Environment.SetEnvironmentVariable("MERLINITE_TEST_MODELS", _dir);
        string file = Path.Combine(_dir, "recipe.yaml");
        File.WriteAllText(file, Good.Replace("base: base.gguf", "base: ${MERLINITE_TEST_MODELS}/base.gguf"));
        Assert.Equal(Path.Combine(_dir, "base.gguf"), RecipeLoader.Load(file).Recipe.Policy.Path);
    }

    [Fact]
    public void A_dry_run_load_reports_missing_files_instead_of_failing()
    {
        string file = Path.Combine(_dir, "recipe.yaml");
        File.WriteAllText(file, Good.Replace("instruct.gguf", "absent.gguf"));
        var loaded = RecipeLoader.Load(file, allowMissingFiles: true);
        var missing = Assert.Single(loaded.MissingFiles);
        Assert.Equal(6, missing.Line);
        Assert.Contains("recipe", RecipePlan.Describe(loaded));
        Assert.Contains("absent.gguf", RecipePlan.Describe(loaded));
    }
}
