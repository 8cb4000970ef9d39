using System.Text.Json;

namespace Merlinite.Cli.Tests;

/// <summary>merlinite train: the AOT binary tokenizes, the TorchSharp sidecar (bin/trainer) trains, llama.cpp uses the adapter.</summary>
public sealed class TrainCliTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _model;
    private readonly string _data;

    public TrainCliTests()
    {
        _model = _dir.File("tiny.gguf");
        _data = _dir.File("sft.jsonl");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "3", "--out", _model).ExitCode);
        File.WriteAllLines(_data, Enumerable.Range(0, 8).Select(i =>
        {
            var digits = Enumerable.Range(0, 4).Select(j => ((i * 3 + j * 7) % 10).ToString()).ToArray();
            return JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["id"] = $"r{i}", ["prompt"] = "Reverse: " + string.Join(' ', digits), ["response"] = string.Join(' ', digits.Reverse()),
            });
        }));
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>The tiny model's vocabulary and metadata with a Llama-2-70B shape and no weights: only the header is read
    /// before the plan refuses, and it is 140 GB in bf16.</summary>
    private string SeventyBillion()
    {
        string path = _dir.File("seventy.gguf");
        var writer = new Merlinite.Gguf.GgufWriter();
        using (var tiny = Merlinite.Gguf.GgufFile.Open(_model))
            foreach (var kv in tiny.Metadata)
                if (!kv.Key.StartsWith("llama.", StringComparison.Ordinal) && kv.Key != "general.alignment") writer.Add(kv.Key, kv.Value);
        writer.AddUInt32("llama.context_length", 4096);
        writer.AddUInt32("llama.embedding_length", 8192);
        writer.AddUInt32("llama.block_count", 80);
        writer.AddUInt32("llama.feed_forward_length", 28672);
        writer.AddUInt32("llama.attention.head_count", 64);
        writer.AddUInt32("llama.attention.head_count_kv", 8);
        writer.AddFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        writer.AddFloat32("llama.rope.freq_base", 10000);
        writer.Write(path);
        return path;
    }

    [Fact]
    public void Sigterm_stops_the_trainer_too_and_the_rerun_writes_the_adapter_of_an_uninterrupted_run()
    {
        // The reproducible mode: the resumed adapter must equal the uninterrupted one byte for byte on every CPU.
        string[] Args(string adapter) => ["train", "-m", _model, "-i", _data, "-o", adapter, "--epochs", "80", "-t", "1",
            "--checkpoint-every", "1", "--reproducible"];
        string whole = _dir.File("whole.gguf"), stopped = _dir.File("stopped.gguf");
        Assert.Equal(0, MerliniteBinary.Run(Args(whole)).ExitCode);

        // A moment within the first second and a half after the first checkpoint: 160 steps take about 10 s here.
        int seed = SignalledRun.NewSeed();
        var r = SignalledRun.Stop("TERM", Args(stopped),
            () => Directory.Exists(stopped + ".checkpoints") && Directory.EnumerateFiles(stopped + ".checkpoints").Any(),
            TimeSpan.FromSeconds(1.5), _dir.Path, seed);
        Assert.True(r.ExitCode == 143, $"exit {r.ExitCode} (seed {seed}): {r.Stderr}");
        Assert.Contains("interrupted: run the same command again to continue", r.Stderr);
        Assert.True(r.Survivors.Length == 0, $"left running (seed {seed}): {string.Join("; ", r.Survivors)}");
        Assert.False(File.Exists(stopped), $"the adapter was written although the run was stopped (seed {seed})");

        var rerun = MerliniteBinary.Run(Args(stopped));
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        Assert.Contains("(resumed)", rerun.Stderr);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(stopped));
    }

    [Fact]
    public void When_merlinite_is_killed_its_trainer_does_not_go_on()
    {
        string adapter = _dir.File("orphan.gguf");
        var psi = new System.Diagnostics.ProcessStartInfo(MerliniteBinary.Path) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "train", "-m", _model, "-i", _data, "-o", adapter, "--epochs", "1000", "-t", "1" })
            psi.ArgumentList.Add(a);
        using var child = System.Diagnostics.Process.Start(psi)!;
        _ = child.StandardOutput.ReadToEndAsync();
        _ = child.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (SignalledRun.Running("--base " + _model).Length == 0 && DateTime.UtcNow < deadline) Thread.Sleep(10);
        Assert.NotEmpty(SignalledRun.Running("--base " + _model));
        child.Kill(); // SIGKILL: merlinite cannot stop anything itself
        child.WaitForExit();
        // The trainer watches its parent twice a second (and fails its next progress write to the closed pipe): a
        // second and a half allows for a loaded machine's scheduling.
        var gone = DateTime.UtcNow.AddSeconds(1.5);
        while (SignalledRun.Running(_dir.Path).Length > 0 && DateTime.UtcNow < gone) Thread.Sleep(20);
        Assert.Empty(SignalledRun.Running(_dir.Path));
    }

    [Fact]
    public void A_trainer_told_that_its_parent_is_gone_stops_at_once()
    {
        // The watch itself, apart from the broken pipe (a 7B step or checkpoint can take minutes without a write):
        // a trainer whose MERLINITE_PARENT_PID is not its parent's pid is an orphan from the start.
        string trainer = Path.Combine(MerliniteBinary.RepoRoot, "bin", "trainer", "Merlinite.Trainer");
        var orphan = new System.Diagnostics.ProcessStartInfo(trainer, ["--help"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        orphan.Environment["MERLINITE_PARENT_PID"] = "1";
        var r = MerliniteBinary.Collect(System.Diagnostics.Process.Start(orphan)!, null, "trainer --help");
        Assert.Equal(143, r.ExitCode);
        Assert.Contains("the process that started it (1) is gone; stopping", r.Stderr);

        var adopted = new System.Diagnostics.ProcessStartInfo(trainer, ["--help"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        adopted.Environment["MERLINITE_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0, MerliniteBinary.Collect(System.Diagnostics.Process.Start(adopted)!, null, "trainer --help").ExitCode);

        // merlinite itself, as a local shard is started: it stops as if interrupted, and writes nothing.
        string adapter = _dir.File("orphaned-shard.gguf");
        var shard = MerliniteBinary.RunWithEnvironment(null, new Dictionary<string, string> { ["MERLINITE_PARENT_PID"] = "1" },
            "train", "-m", _model, "-i", _data, "-o", adapter, "--epochs", "1000", "-t", "1");
        Assert.Equal(130, shard.ExitCode);
        Assert.Contains("interrupted:", shard.Stderr);
        Assert.False(File.Exists(adapter));
    }

    [Fact]
    public void A_run_that_does_not_fit_exits_2_before_loading_and_says_what_to_change()
    {
        string model = SeventyBillion(), adapter = _dir.File("seventy-lora.gguf");
        var plan = MerliniteBinary.Run("train", "-m", model, "-i", _data, "-o", adapter, "--device", "cpu", "--dry-run");
        Assert.True(plan.ExitCode == 0, plan.Stderr);
        Assert.Contains("memory plan: ", plan.Stdout);
        Assert.Matches(@"weights 1[0-9][0-9]\.[0-9]+ GiB", plan.Stdout); // ~68B parameters × 2 bytes

        var r = MerliniteBinary.Run("train", "-m", model, "-i", _data, "-o", adapter, "--device", "cpu", "-t", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("the memory plan needs", r.Stderr);
        Assert.Contains("--max-batch-tokens", r.Stderr);
        Assert.Empty(Directory.GetFiles(_dir.Path, "seventy-lora.gguf*"));
    }

    [Fact]
    public void A_trained_adapter_goes_to_peft_and_back_bit_for_bit()
    {
        string adapter = _dir.File("peft-source.gguf"), back = _dir.File("peft-back.gguf"), folder = _dir.File("peft");
        Assert.Equal(0, MerliniteBinary.Run("train", "-m", _model, "-i", _data, "-o", adapter, "--max-steps", "1", "--lora-rank", "4", "-t", "1").ExitCode);
        var export = MerliniteBinary.Run("lora", "export", "-m", _model, "-i", adapter, "-o", folder);
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.True(File.Exists(Path.Combine(folder, "adapter_model.safetensors")) && File.Exists(Path.Combine(folder, "adapter_config.json")));
        var import = MerliniteBinary.Run("lora", "import", "-m", _model, "-i", folder, "-o", back);
        Assert.True(import.ExitCode == 0, import.Stderr);
        using var a = Merlinite.Gguf.GgufFile.Open(adapter);
        using var b = Merlinite.Gguf.GgufFile.Open(back);
        Assert.Equal(a.Tensors.Count, b.Tensors.Count);
        foreach (var t in a.Tensors) Assert.Equal(a.ReadTensorBytes(t), b.ReadTensorBytes(t.Name));
        // llama.cpp takes the imported adapter as it took the original.
        Assert.Equal(SummedLogProb(adapter), SummedLogProb(back));
    }

    [Fact]
    public void Train_help_documents_the_settings_that_make_a_7b_run_fit()
    {
        var r = MerliniteBinary.Run("train", "--help");
        foreach (var flag in new[] { "--device", "--dtype", "--checkpointing", "--max-batch-tokens", "--dry-run" }) Assert.Contains(flag, r.Stdout);
    }

    private double SummedLogProb(string? adapter, string? model = null)
    {
        string output = _dir.File($"score-{Guid.NewGuid():N}.jsonl");
        string[] args = ["score", "-m", model ?? _model, "-i", _data, "-o", output, "-t", "1", "--no-tokens"];
        if (adapter is not null) args = [.. args, "--lora", adapter];
        var r = MerliniteBinary.Run(args);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return File.ReadAllLines(output).Sum(l => JsonDocument.Parse(l).RootElement.GetProperty("sum").GetDouble());
    }

    [Fact]
    public void Training_lowers_the_loss_and_llama_cpp_with_the_adapter_prefers_the_training_responses()
    {
        string adapter = _dir.File("adapter.gguf");
        var r = MerliniteBinary.Run("train", "-m", _model, "-i", _data, "-o", adapter, "--epochs", "6", "--lr", "1e-2",
            "--batch-size", "4", "--lora-rank", "4", "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("wrote", r.Stderr);
        // The closing line: "wrote OUT (N steps, loss FIRST → LAST, last epoch's mean MEAN; …)".
        var match = System.Text.RegularExpressions.Regex.Match(r.Stderr, @"steps, loss ([0-9.]+) → ([0-9.]+), last epoch's mean ([0-9.]+);");
        Assert.True(match.Success, r.Stderr);
        var losses = new[] { match.Groups[1].Value, match.Groups[2].Value }.Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(losses[^1] < losses[0], $"loss did not fall: {string.Join(", ", losses)}");
        double epochMean = double.Parse(match.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(epochMean < losses[0], $"the last epoch's mean {epochMean} is not below the first loss {losses[0]}");

        double before = SummedLogProb(null), after = SummedLogProb(adapter);
        Assert.True(after > before + 1, $"summed log-prob of the training responses: {before} without, {after} with the adapter");
    }

    [Fact]
    public void A_merged_mixtral_model_scores_like_the_base_with_its_adapter_experts_included()
    {
        string mixtral = _dir.File("mixtral.gguf"), adapter = _dir.File("mix-adapter.gguf"), merged = _dir.File("merged.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--arch", "mixtral", "--seed", "4", "--out", mixtral).ExitCode);
        var r = MerliniteBinary.Run("train", "-m", mixtral, "-i", _data, "-o", adapter, "--epochs", "2", "--lr", "1e-2", "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = MerliniteBinary.Run("lora", "merge", "-m", mixtral, "--lora", adapter, "-o", merged);
        Assert.True(r.ExitCode == 0, r.Stderr);

        double baseOnly = SummedLogProb(null, mixtral), withAdapter = SummedLogProb(adapter, mixtral), fromMerged = SummedLogProb(null, merged);
        Assert.True(Math.Abs(withAdapter - baseOnly) > 1, "the adapter should matter");
        // Merged weights (W + BA rounded once to float32) against the adapter applied at run time, summed over ~100
        // tokens: measured 3e-6; 2 places (5e-3) is 2^-24 × depth ~1,000 × 100 tokens, the ε × depth bound.
        Assert.Equal(withAdapter, fromMerged, 2);

        r = MerliniteBinary.Run("lora", "merge", "-m", mixtral, "--lora", adapter, "-o", _dir.File("q8.gguf"), "--type", "q8_0");
        Assert.True(r.ExitCode == 0, r.Stderr);
        // q8_0 keeps 8 bits per weight: its error is quantization, not rounding. ±2 nats over ~100 tokens is what
        // q8_0 is known to cost (llama.cpp reports ~0.1 % perplexity), with room for a 0.2M-parameter model.
        Assert.InRange(SummedLogProb(null, _dir.File("q8.gguf")), withAdapter - 2, withAdapter + 2);
        Assert.False(File.Exists(_dir.File("q8.gguf.merged-f.gguf")));
    }

    [Fact]
    public void Merging_an_adapter_of_another_model_shape_is_refused()
    {
        string adapter = _dir.File("adapter.gguf"), other = _dir.File("other.gguf");
        Assert.Equal(0, MerliniteBinary.Run("train", "-m", _model, "-i", _data, "-o", adapter, "--max-steps", "1", "-t", "1").ExitCode);
        Assert.Equal(0, MerliniteBinary.Run("synth", "--dims", "n_embd=96", "--out", other).ExitCode);
        var r = MerliniteBinary.Run("lora", "merge", "-m", other, "--lora", adapter, "-o", _dir.File("m.gguf"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("adapter.gguf", r.Stderr);
        Assert.Contains("do not fit", r.Stderr);
        Assert.False(File.Exists(_dir.File("m.gguf")));
    }

    [Fact]
    public void A_missing_sidecar_is_a_clear_error_before_any_work()
    {
        var r = MerliniteBinary.RunWithEnvironment(null, new Dictionary<string, string> { ["MERLINITE_TRAINER"] = _dir.File("nope") },
            "train", "-m", _model, "-i", _data, "-o", _dir.File("a.gguf"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("MERLINITE_TRAINER", r.Stderr);
        Assert.False(File.Exists(_dir.File("a.gguf.tokens.jsonl")));
    }

    [Fact]
    public void An_example_longer_than_max_seq_len_is_refused_by_id_and_no_adapter_appears()
    {
        var r = MerliniteBinary.Run("train", "-m", _model, "-i", _data, "-o", _dir.File("a.gguf"), "--max-seq-len", "20");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'r0'", r.Stderr);
        Assert.Contains("--max-seq-len", r.Stderr);
        Assert.False(File.Exists(_dir.File("a.gguf")));
    }

    [Fact]
    public void An_empty_data_file_is_refused_with_its_name()
    {
        File.WriteAllText(_dir.File("empty.jsonl"), "");
        var r = MerliniteBinary.Run("train", "-m", _model, "-i", _dir.File("empty.jsonl"), "-o", _dir.File("a.gguf"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("empty.jsonl", r.Stderr);
    }
}

/// <summary>Training values are checked before any work: nothing is tokenized, no file appears beside the output.</summary>
public sealed class TrainValueCheckTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("--lr", "-1", "--lr must be greater than 0 (got -1)")]
    [InlineData("--lr", "0", "--lr must be greater than 0 (got 0)")]
    [InlineData("--epochs", "0", "--epochs must be at least 1 (got 0)")]
    public void A_value_that_cannot_work_exits_2_before_tokenizing(string flag, string value, string message)
    {
        string model = _dir.File("m.gguf"), data = _dir.File("d.jsonl");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--out", model).ExitCode);
        File.WriteAllText(data, "{\"id\":\"a\",\"prompt\":\"x\",\"response\":\"y\"}\n");
        var r = MerliniteBinary.Run("train", "-m", model, "-i", data, "-o", _dir.File("out/a.gguf"), flag, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr);
        Assert.False(Directory.Exists(_dir.File("out")) && Directory.EnumerateFileSystemEntries(_dir.File("out")).Any(), "something was written beside the output");
    }
}
