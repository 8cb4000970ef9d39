namespace Merlinite.Cli.Tests;

/// <summary>
/// An output path reused with other inputs or settings: the command refuses (exit 2, naming the difference) instead of
/// reusing old results; --restart recomputes, and the result equals a fresh run byte for byte; the same command again
/// does nothing.
/// </summary>
public sealed class StaleOutputCliTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _a, _b, _prompts, _pairs, _prefs;

    public StaleOutputCliTests()
    {
        _a = _dir.File("a.gguf");
        _b = _dir.File("b.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--out", _a).ExitCode);
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "2", "--out", _b).ExitCode);
        _prompts = _dir.File("prompts.jsonl");
        File.WriteAllLines(_prompts, Enumerable.Range(0, 6).Select(i => $"{{\"id\":\"p{i}\",\"prompt\":\"Reverse: {i} {i + 1}\"}}"));
        _pairs = _dir.File("pairs.jsonl");
        File.WriteAllLines(_pairs, Enumerable.Range(0, 6).Select(i => $"{{\"id\":\"p{i}\",\"prompt\":\"Reverse: {i} {i + 1}\",\"response\":\"{i + 1} {i}\"}}"));
        _prefs = _dir.File("prefs.jsonl");
        File.WriteAllLines(_prefs, Enumerable.Range(0, 4).Select(i => $"{{\"id\":\"q{i}\",\"prompt\":\"Reverse: {i} 7\",\"chosen\":\"7 {i}\",\"rejected\":\"{i} 7\"}}"));
    }

    public void Dispose() => _dir.Dispose();

    private static void Ok(RunResult r) => Assert.True(r.ExitCode == 0, r.Stderr);

    /// <summary>Runs a command with OUT, then with OUT changed by <paramref name="change"/>: refused naming
    /// <paramref name="named"/>, OUT untouched; then --restart, which must equal the changed command run fresh.</summary>
    private void RefusedThenRestartedEqualsFresh(Func<string, string[]> command, Func<string[], string[]> change, string named, params string[] files)
    {
        string out_ = _dir.File($"out-{Guid.NewGuid():N}"), fresh = _dir.File($"fresh-{Guid.NewGuid():N}");
        Ok(MerliniteBinary.Run(command(out_)));
        var before = files.Select(f => File.ReadAllBytes(out_ + f)).ToList();

        var again = MerliniteBinary.Run(command(out_));
        Ok(again);
        Assert.Contains("is up to date", again.Stderr);
        Assert.Equal(before, files.Select(f => File.ReadAllBytes(out_ + f)).ToList());

        var refused = MerliniteBinary.Run(change(command(out_)));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains(named, refused.Stderr);
        Assert.Contains("--restart", refused.Stderr);
        Assert.Equal(before, files.Select(f => File.ReadAllBytes(out_ + f)).ToList());

        Ok(MerliniteBinary.Run([.. change(command(out_)), "--restart"]));
        Ok(MerliniteBinary.Run(change(command(fresh))));
        foreach (var f in files) Assert.Equal(File.ReadAllBytes(fresh + f), File.ReadAllBytes(out_ + f));
    }

    [Fact]
    public void An_output_made_with_a_setting_that_is_gone_says_so_in_words()
    {
        string out_ = _dir.File("gone.jsonl");
        string[] sample = ["sample", "-m", _a, "-i", _prompts, "-o", out_, "--n", "1", "--max-tokens", "2", "-t", "1"];
        Ok(MerliniteBinary.Run(sample));
        // As if an older merlinite had recorded a setting this one does not have.
        var meta = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(out_ + ".meta.json"))!;
        meta["settings"]!.AsArray().Add(new System.Text.Json.Nodes.JsonObject { ["key"] = "mirostat", ["value"] = "2" });
        File.WriteAllText(out_ + ".meta.json", meta.ToJsonString());
        var r = MerliniteBinary.Run(sample);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("was made with a setting this version no longer has (mirostat 2)", r.Stderr);
        Assert.DoesNotContain("(not a setting any more)", r.Stderr);
    }

    private static string[] Replace(string[] args, string flag, string value)
    {
        var list = args.ToList();
        int i = list.IndexOf(flag);
        if (i < 0) list.AddRange([flag, value]); else list[i + 1] = value;
        return [.. list];
    }

    private static string[] Swap(string[] args, string a, string b) => args.Select(x => x == a ? b : x == b ? a : x).ToArray();

    [Fact]
    public void Sample_with_another_n_is_refused_and_restart_equals_a_fresh_run() => RefusedThenRestartedEqualsFresh(
        o => ["sample", "-m", _a, "-i", _prompts, "-o", o + ".jsonl", "--n", "2", "--max-tokens", "8", "-t", "1"],
        args => Replace(args, "--n", "8"), "was made with --n 2, not 8", ".jsonl");

    [Fact]
    public void Score_with_another_template_is_refused_and_restart_equals_a_fresh_run() => RefusedThenRestartedEqualsFresh(
        o => ["score", "-m", _a, "-i", _pairs, "-o", o + ".jsonl", "-t", "1"],
        args => Replace(args, "--template", "raw"), "was made with --template merlinite, not raw", ".jsonl");

    [Fact]
    public void Reward_with_the_models_swapped_is_refused_and_restart_equals_a_fresh_run() => RefusedThenRestartedEqualsFresh(
        o => ["reward", "--instruct-model", _a, "--reference-model", _b, "-i", _pairs, "-o", o + ".jsonl", "--template", "merlinite", "-t", "1"],
        args => Swap(args, _a, _b), "was made with --instruct-model " + _a, ".jsonl", ".instruct-scores.jsonl", ".reference-scores.jsonl");

    [Fact]
    public void Reward_with_another_beta_keeps_both_models_scores_and_recomputes_only_the_rewards()
    {
        string[] Args(string beta) => ["reward", "--instruct-model", _a, "--reference-model", _b, "-i", _pairs, "-o", _dir.File("rb.jsonl"), "--template", "merlinite", "-t", "1", "--beta", beta];
        Ok(MerliniteBinary.Run(Args("0.1")));
        var scores = File.GetLastWriteTimeUtc(_dir.File("rb.instruct-scores.jsonl"));
        Assert.Equal(2, MerliniteBinary.Run(Args("0.5")).ExitCode);
        Ok(MerliniteBinary.Run([.. Args("0.5"), "--restart"]));
        Ok(MerliniteBinary.Run(["reward", "--instruct-model", _a, "--reference-model", _b, "-i", _pairs, "-o", _dir.File("rb-fresh.jsonl"), "--template", "merlinite", "-t", "1", "--beta", "0.5"]));
        Assert.Equal(File.ReadAllBytes(_dir.File("rb-fresh.jsonl")), File.ReadAllBytes(_dir.File("rb.jsonl")));
        Assert.True(File.GetLastWriteTimeUtc(_dir.File("rb.instruct-scores.jsonl")) > scores, "--restart recomputes everything of the job");
    }

    [Fact]
    public void Reward_eval_with_the_models_swapped_is_refused_instead_of_reporting_the_old_accuracy()
    {
        string[] Eval(string instruct, string reference, params string[] extra) =>
            ["reward", "eval", "-i", _prefs, "--instruct-model", instruct, "--reference-model", reference, "--template", "merlinite", "--json", "-t", "1", .. extra];
        var first = MerliniteBinary.Run(Eval(_a, _b));
        Ok(first);
        var swapped = MerliniteBinary.Run(Eval(_b, _a));
        Assert.Equal(2, swapped.ExitCode);
        Assert.Contains("prefs.rewards.jsonl was made with --instruct-model", swapped.Stderr);
        var restarted = MerliniteBinary.Run(Eval(_b, _a, "--restart"));
        Ok(restarted);
        var fresh = MerliniteBinary.Run(Eval(_b, _a, "-o", _dir.File("fresh-eval.jsonl")));
        Ok(fresh);
        Assert.Equal(fresh.Stdout, restarted.Stdout);
        Assert.Equal(File.ReadAllBytes(_dir.File("fresh-eval.jsonl")), File.ReadAllBytes(_dir.File("prefs.rewards.jsonl")));
    }

    [Fact]
    public void Train_with_another_learning_rate_is_refused_and_restart_equals_a_fresh_run() => RefusedThenRestartedEqualsFresh(
        o => ["train", "-m", _a, "-i", _pairs, "-o", o + ".gguf", "--max-steps", "2", "--lora-rank", "4", "--lr", "1e-3", "-t", "1"],
        args => Replace(args, "--lr", "2e-3"), "was made with --lr 0.001, not 0.002", ".gguf");

    [Fact]
    public void An_input_file_edited_in_place_is_a_difference_too()
    {
        string out_ = _dir.File("edited.jsonl"), input = _dir.File("edit-me.jsonl");
        File.Copy(_prompts, input);
        Ok(MerliniteBinary.Run("sample", "-m", _a, "-i", input, "-o", out_, "--n", "2", "--max-tokens", "4", "-t", "1"));
        File.AppendAllText(input, "{\"id\":\"new\",\"prompt\":\"one more\"}\n");
        var r = MerliniteBinary.Run("sample", "-m", _a, "-i", input, "-o", out_, "--n", "2", "--max-tokens", "4", "-t", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"was made with --input {input} (sha ", r.Stderr);
    }

    [Fact]
    public void An_up_to_date_output_removes_the_working_files_a_kill_left_behind()
    {
        string out_ = _dir.File("kept.gguf");
        string[] args = ["train", "-m", _a, "-i", _pairs, "-o", out_, "--max-steps", "1", "--lora-rank", "4", "-t", "1"];
        Ok(MerliniteBinary.Run(args));
        var adapter = File.ReadAllBytes(out_);
        // What a SIGKILL between the trainer writing the adapter and the cleanup leaves.
        File.WriteAllText(out_ + ".tokens.jsonl", "{\"ids\":[1,2,3]}\n");
        Directory.CreateDirectory(out_ + ".checkpoints");
        File.WriteAllText(Path.Combine(out_ + ".checkpoints", "step-1.pt"), "checkpoint");

        var again = MerliniteBinary.Run(args);
        Ok(again);
        Assert.Contains("is up to date", again.Stderr);
        Assert.Equal(adapter, File.ReadAllBytes(out_));
        Assert.False(File.Exists(out_ + ".tokens.jsonl"), "the tokenized data outlived the run");
        Assert.False(Directory.Exists(out_ + ".checkpoints"), "the checkpoints outlived the run");
    }

    [Fact]
    public void Lora_export_keeps_its_own_folder_and_replaces_another_only_with_restart()
    {
        string adapter = _dir.File("export-adapter.gguf"), folder = _dir.File("export");
        AdapterFixture.Write(adapter, width: 64, rank: 4);
        Ok(MerliniteBinary.Run("lora", "export", "-m", _a, "-i", adapter, "-o", folder));
        var again = MerliniteBinary.Run("lora", "export", "-m", _a, "-i", adapter, "-o", folder);
        Ok(again);
        Assert.Contains("is up to date", again.Stderr);

        // Another adapter into the same folder is refused (the folder holds what another export made)…
        string other = _dir.File("export-other.gguf");
        AdapterFixture.Write(other, width: 64, rank: 4, alpha: 16);
        var config = File.ReadAllBytes(Path.Combine(folder, "adapter_config.json"));
        var refused = MerliniteBinary.Run("lora", "export", "-m", _a, "-i", other, "-o", folder);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("was made with --input", refused.Stderr);
        Assert.Equal(config, File.ReadAllBytes(Path.Combine(folder, "adapter_config.json")));
        // …and replaced with --restart.
        Ok(MerliniteBinary.Run("lora", "export", "-m", _a, "-i", other, "-o", folder, "--restart"));
        Assert.Contains("\"lora_alpha\": 16", File.ReadAllText(Path.Combine(folder, "adapter_config.json")));
    }

    [Fact]
    public void An_unfinished_run_resumes_with_the_same_settings_and_is_refused_with_others()
    {
        string out_ = _dir.File("unfinished.jsonl"), whole = _dir.File("whole.jsonl");
        string[] Args(string o, string n) => ["sample", "-m", _a, "-i", _prompts, "-o", o, "--n", n, "--max-tokens", "8", "-t", "1"];
        Ok(MerliniteBinary.Run(Args(whole, "4")));
        // What a kill leaves: the record, and a partial file with two complete lines.
        File.Copy(whole + ".meta.json", out_ + ".meta.json");
        File.WriteAllLines(out_ + ".partial", File.ReadAllLines(whole).Take(2));

        var other = MerliniteBinary.Run(Args(out_, "3"));
        Assert.Equal(2, other.ExitCode);
        Assert.Contains("unfinished.jsonl.partial is an unfinished run that was made with --n 4, not 3", other.Stderr);
        Assert.True(File.Exists(out_ + ".partial"));

        Ok(MerliniteBinary.Run(Args(out_, "4")));
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(out_));
        Assert.False(File.Exists(out_ + ".partial"));
    }
}
