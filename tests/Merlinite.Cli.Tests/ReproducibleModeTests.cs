using System.Diagnostics;
using System.Text.Json;

namespace Merlinite.Cli.Tests;

/// <summary>
/// The reproducible mode from the user's side: sampling, scoring and training give the same bytes on CPUs this
/// machine is not, emulated by QEMU's user mode (qemu-x86_64 -cpu MODEL; the CPUID every library reads is the emulated
/// CPU's, without AVX-512), and with another thread count; outputs made the other way are not taken for its own; what
/// it cannot do is refused with one line. bench/reproducible.sh does the same for the whole tiny world and its recipes.
/// </summary>
public sealed class ReproducibleModeTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _model, _prompts, _pairs;

    public ReproducibleModeTests()
    {
        _model = _dir.File("tiny.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--preset", "tiny", "--seed", "5", "--out", _model).ExitCode);
        _prompts = _dir.File("prompts.jsonl");
        File.WriteAllLines(_prompts, Enumerable.Range(0, 6).Select(i =>
            $"{{\"id\":\"p{i}\",\"prompt\":\"Add {i} and {i + 2}\"}}"));
        _pairs = _dir.File("pairs.jsonl");
        File.WriteAllLines(_pairs, Enumerable.Range(0, 8).Select(i =>
            $"{{\"id\":\"q{i}\",\"prompt\":\"Reverse the list: {i} {i + 1} {i + 2}\"," +
            $"\"response\":\"{i + 2} {i + 1} {i}\"}}"));
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Sample, score (with top log-probs) and a few training steps in bf16 (oneDNN's matmuls) and f32
    /// (MKL's), all with --reproducible, into <paramref name="folder"/>; the files whose bytes must not depend on the
    /// CPU.</summary>
    private string[] Work(string folder, string threads, Func<string[], RunResult> run)
    {
        Directory.CreateDirectory(folder);
        string F(string name) => Path.Combine(folder, name);
        string[] common = ["--reproducible", "-t", threads];
        Check(run(["sample", "-m", _model, "-i", _prompts, "--n", "4", "--max-tokens", "12", "--temp", "1", "-np", "8",
            "-o", F("samples.jsonl"), .. common]));
        Check(run(["score", "-m", _model, "-i", F("samples.jsonl"), "--top-logprobs", "3", "-o", F("scores.jsonl"),
            .. common]));
        foreach (var dtype in new[] { "bf16", "f32" })
            Check(run(["train", "-m", _model, "-i", _pairs, "-o", F($"{dtype}.gguf"), "--max-steps", "3",
                "--batch-size", "4", "--lora-rank", "4", "--lr", "1e-2", "--dtype", dtype, .. common]));
        return [F("samples.jsonl"), F("scores.jsonl"), F("bf16.gguf"), F("f32.gguf")];
    }

    private static void Check(RunResult r) => Assert.True(r.ExitCode == 0, r.Stderr);

    [Theory]
    [InlineData("EPYC-Milan")] // AMD Zen 3: AVX2, no AVX-512 (the CPU the issue's snapshots broke on)
    [InlineData("Haswell")]    // Intel: MKL's dispatch takes other branches on Intel CPUs than on AMD ones
    public void Sampling_scoring_and_training_give_the_same_bytes_on_an_emulated_cpu_and_one_thread(string cpu)
    {
        var here = Work(_dir.File("here"), "2", MerliniteBinary.Run);
        var emulated = Work(_dir.File(cpu), "1", args => Qemu.Run(cpu, _dir.File($"{cpu}-trainer.sh"), args));
        foreach (var (a, b) in here.Zip(emulated))
            Assert.True(File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b)),
                $"{Path.GetFileName(a)} differs on {cpu}");
    }

    [Fact]
    public void An_output_made_without_the_mode_is_not_resumed_with_it()
    {
        string scores = _dir.File("fast-scores.jsonl");
        Check(MerliniteBinary.Run("score", "-m", _model, "-i", _pairs, "-o", scores, "-t", "1"));
        var again = MerliniteBinary.Run("score", "-m", _model, "-i", _pairs, "-o", scores, "-t", "1", "--reproducible");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("was made with --reproducible false, not true", again.Stderr);
        Check(MerliniteBinary.Run("score", "-m", _model, "-i", _pairs, "-o", scores, "-t", "1", "--reproducible",
            "--restart"));
        using var meta = JsonDocument.Parse(File.ReadAllText(scores + ".meta.json"));
        Assert.Contains(meta.RootElement.GetProperty("settings").EnumerateArray(),
            s => s.GetProperty("key").GetString() == "reproducible" && s.GetProperty("value").GetString() == "true");
    }

    [Fact]
    public void What_the_mode_cannot_do_is_refused_in_one_line()
    {
        var cuda = MerliniteBinary.Run("train", "-m", _model, "-i", _pairs, "-o", _dir.File("a.gguf"),
            "--max-steps", "1", "--device", "cuda", "--reproducible");
        Assert.Equal(2, cuda.ExitCode);
        Assert.Contains("the reproducible mode trains on the CPU", cuda.Stderr);
        Assert.False(File.Exists(_dir.File("a.gguf")));

        // A recipe that asks for both is refused before round 0 samples anything.
        string recipe = _dir.File("cuda.yaml");
        File.WriteAllText(recipe, $$$"""
            reproducible: true
            models: {policy: {base: {{{_model}}}}, instruct: {path: {{{_model}}}}, reference: {path: {{{_model}}}}}
            prompts: {files: [{{{_prompts}}}], per_round: 2, held_out: 2}
            sft: {device: cuda}
            output: {dir: {{{_dir.File("cuda-run")}}}}
            """);
        var run = MerliniteBinary.Run("run", recipe, "-t", "1");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: sft.device 'cuda': the reproducible mode trains on the CPU", run.Stderr.Trim());
        Assert.False(File.Exists(_dir.File("cuda-run/round-0/samples.jsonl")));

        var info = MerliniteBinary.Run("info");
        Assert.Contains("reproducible   the x86-64-v3 build linked in; this CPU runs it", info.Stdout);

        // A CPU below x86-64-v3 (an emulated Nehalem: SSE4.2, no AVX) is told what it lacks before anything loads.
        var old = Qemu.Run("Nehalem", _dir.File("nehalem-trainer.sh"), ["chat", _model, "-p", "hi", "--reproducible"]);
        Assert.Equal(2, old.ExitCode);
        Assert.StartsWith("error: the reproducible mode needs an x86-64-v3 CPU (AVX2, FMA, F16C, BMI2); " +
                          "this one lacks AVX, FMA, F16C", old.Stderr.Trim());
        // Without the mode too: the single file is the x86-64-v3 build, so an older CPU hears it, not SIGILL.
        var plain = Qemu.Run("Nehalem", _dir.File("nehalem-trainer.sh"), ["chat", _model, "-p", "hi"]);
        Assert.Equal(1, plain.ExitCode);
        Assert.StartsWith("error: this merlinite is built for x86-64-v3 CPUs (AVX2, FMA, F16C, BMI2) and this CPU " +
                          "lacks AVX, FMA, F16C", plain.Stderr.Trim());
        Assert.Single(plain.Stderr.Trim().Split('\n'));
    }
}

/// <summary>Runs bin/merlinite on a CPU emulated by QEMU's user mode, and its trainer too (a child process would
/// otherwise run on the real CPU). Debian's qemu-user; ./build.sh test installs it.</summary>
internal static class Qemu
{
    private static string Emulator =>
        new[] { "/usr/bin/qemu-x86_64", "/usr/local/bin/qemu-x86_64" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException(
            "no qemu-x86_64 for the emulated-CPU tests: `apt-get install qemu-user` (./build.sh test does)");

    public static RunResult Run(string cpu, string trainerScript, string[] args)
    {
        string trainer = Path.Combine(MerliniteBinary.RepoRoot, "bin", "trainer", "Merlinite.Trainer");
        // .NET's background GC thread crashed now and then under QEMU (an emulation limit, not a result): the emulated
        // trainer runs without it, which changes nothing it computes.
        File.WriteAllText(trainerScript,
            $"#!/bin/sh\nDOTNET_gcConcurrent=0 exec {Emulator} -cpu {cpu} '{trainer}' \"$@\"\n");
        File.SetUnixFileMode(trainerScript, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var psi = new ProcessStartInfo(Emulator)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { "-cpu", cpu, MerliniteBinary.Path }.Concat(args)) psi.ArgumentList.Add(a);
        psi.Environment["MERLINITE_TRAINER"] = trainerScript;
        using var p = Process.Start(psi)!;
        var r = MerliniteBinary.Collect(p, null, $"qemu-x86_64 -cpu {cpu} merlinite {string.Join(' ', args)}");
        // QEMU warns once per CPUID feature it cannot emulate (virtualization and security bits, none that computes).
        string errors = string.Join('\n',
            r.Stderr.Split('\n').Where(l => !l.StartsWith("qemu-x86_64: warning", StringComparison.Ordinal)));
        return r with { Stderr = errors };
    }
}
