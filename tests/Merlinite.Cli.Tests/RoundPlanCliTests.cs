namespace Merlinite.Cli.Tests;

/// <summary>
/// The real recipe planned for one 24 GB GPU: recipes/merlinite-7b-pt.yaml, copied beside shape-only GGUFs of its three
/// models (`synth --shape-only --type q4_k_m`: the real tensor tables, the bytes holes) and a prompt file, as a user's
/// gguf/ folder holds them.
/// </summary>
public sealed class RoundPlanCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-roundplan-").FullName;
    private readonly string _recipe;

    public RoundPlanCliTests()
    {
        string gguf = Path.Combine(_dir, "gguf");
        Directory.CreateDirectory(gguf);
        Directory.CreateDirectory(Path.Combine(_dir, "recipes"));
        _recipe = Path.Combine(_dir, "recipes", "merlinite-7b-pt.yaml");
        File.Copy(Path.Combine(MerliniteBinary.RepoRoot, "recipes", "merlinite-7b-pt.yaml"), _recipe);
        Synth("mistral-7b", Path.Combine(gguf, "merlinite-7b-Q4_K_M.gguf"));
        Synth("mixtral-8x7b", Path.Combine(gguf, "mixtral-8x7b-instruct-v0.1.Q4_K_M.gguf"));
        Synth("mixtral-8x7b", Path.Combine(gguf, "mixtral-8x7b-v0.1.Q4_K_M.gguf"));
        File.WriteAllLines(Path.Combine(gguf, "lab-sft-prompts.jsonl"),
            Enumerable.Range(0, 1300).Select(i => $"{{\"prompt\": \"question {i}\", \"source\": \"s{i % 5}\"}}"));
    }

    private static void Synth(string preset, string path)
    {
        var r = MerliniteBinary.Run("synth", "--preset", preset, "--shape-only", "--type", "q4_k_m", "-o", path);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("as holes", r.Stdout);
    }

    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    [Fact]
    public void A_dry_run_for_24_GiB_places_every_model_and_estimates_every_phase()
    {
        var r = MerliniteBinary.Run("run", _recipe, "--dry-run", "--vram", "24");
        Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr);
        Assert.Contains("VRAM budget 24.0 GiB", r.Stdout);
        var rows = r.Stdout.Split('\n');
        string Row(string phase) => Assert.Single(rows, l => l.TrimStart().StartsWith(phase, StringComparison.Ordinal));
        Assert.Contains("all 33 layers on the GPU", Row("1 sample"));
        Assert.Contains("all 33 layers on the GPU, experts of", Row("2 score (instruct)"));
        Assert.Contains("experts of", Row("3 score (reference)"));
        Assert.Contains("cuda, bf16", Row("5 train"));
        foreach (var phase in new[] { "1 sample", "2 score", "3 score", "5 train" })
            Assert.Matches(@"\d+\.\d GiB\s+\d+\.\d GiB\s+~\d", Row(phase));
        Assert.Contains("a round: ~", r.Stdout);
        Assert.Contains("estimated from these rates", r.Stdout);
        Assert.DoesNotContain("does not fit", r.Stdout);
    }

    [Fact]
    public void A_dry_run_for_8_GiB_is_refused_naming_the_phase_and_what_to_change()
    {
        var r = MerliniteBinary.Run("run", _recipe, "--dry-run", "--vram", "8");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("does not fit: phase 5 train (sidecar): the LoRA trainer needs", r.Stdout);
        Assert.Contains("raise --vram", r.Stdout);
        Assert.Contains("sft.device: cpu", r.Stdout);
        // The llama.cpp phases fit any budget with auto: fewer layers on the GPU.
        Assert.DoesNotContain("does not fit: phase 1", r.Stdout);

        // The run itself is refused before anything loads, with the same reason.
        var run = MerliniteBinary.Run("run", _recipe, "--vram", "8");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("phase 5 train (sidecar) does not fit", run.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_dir, "runs")) &&
            Directory.EnumerateFiles(Path.Combine(_dir, "runs"), "*.jsonl", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public void Gpu_layers_takes_auto_or_a_number_and_names_itself_when_wrong()
    {
        File.WriteAllText(_recipe, File.ReadAllText(_recipe).Replace("    template: merlinite\n",
            "    template: merlinite\n    gpu_layers: lots\n"));
        var r = MerliniteBinary.Run("run", _recipe, "--dry-run");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("gpu_layers", r.Stderr);
        Assert.Contains("'lots' is not auto or a number of layers", r.Stderr);

        var flag = MerliniteBinary.Run("score", "-m", "x.gguf", "-i", "x.jsonl", "-o", "y.jsonl", "--gpu-layers", "many");
        Assert.Equal(2, flag.ExitCode);
        Assert.Contains("'many' is not auto or a number of layers", flag.Stderr);
    }

    [Fact]
    public void A_negative_vram_is_refused_on_the_command_line_and_in_the_recipe()
    {
        var run = MerliniteBinary.Run("run", _recipe, "--dry-run", "--vram", "-1");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--vram must be 0 (the free GPU memory) or a size in GiB (got -1)", run.Stderr);

        File.WriteAllText(_recipe, "vram: -2\n" + File.ReadAllText(_recipe));
        var recipe = MerliniteBinary.Run("run", _recipe, "--dry-run");
        Assert.Equal(2, recipe.ExitCode);
        Assert.Contains("'vram': must be 0 (the free GPU memory) or a size in GiB (got -2)", recipe.Stderr);
    }
}
