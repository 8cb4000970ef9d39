using System.Diagnostics;
using System.Text.Json;

namespace Merlinite.Cli.Tests;

/// <summary>merlinite sample: reproducible output, resume after kill -9 or a torn line, and clear errors.</summary>
public sealed class SampleCliTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _model;
    private readonly string _prompts;

    public SampleCliTests()
    {
        _model = _dir.File("tiny.gguf");
        _prompts = _dir.File("prompts.jsonl");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--out", _model).ExitCode);
        File.WriteAllLines(_prompts, Enumerable.Range(0, 40).Select(i =>
            PromptLine(i)));
    }

    private static string PromptLine(int i) =>
        $"{{\"id\":\"p{i}\",\"source\":\"{(i % 2 == 0 ? "math" : "words")}\",\"prompt\":\"{new string('w', i % 5)} task {i}\"}}";

    public void Dispose() => _dir.Dispose();

    private string[] Args(string output, int parallel = 8, int maxTokens = 48, params string[] extra) =>
        ["sample", "-m", _model, "-i", _prompts, "-o", output, "--n", "8", "--parallel", $"{parallel}", "-t", "1",
         "--temp", "1", "--max-tokens", $"{maxTokens}", "--seed", "5", .. extra];

    [Fact]
    public void The_same_command_twice_gives_byte_identical_output_with_n_samples_per_prompt()
    {
        Assert.Equal(0, MerliniteBinary.Run(Args(_dir.File("a.jsonl"))).ExitCode);
        Assert.Equal(0, MerliniteBinary.Run(Args(_dir.File("b.jsonl"))).ExitCode);
        var a = File.ReadAllBytes(_dir.File("a.jsonl"));
        Assert.Equal(a, File.ReadAllBytes(_dir.File("b.jsonl")));

        var lines = File.ReadAllLines(_dir.File("a.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"p{i}"), lines.Select(l => l.GetProperty("id").GetString()));
        Assert.All(lines, l => Assert.Equal(8, l.GetProperty("samples").GetArrayLength()));
        Assert.Equal("math", lines[0].GetProperty("source").GetString());
        Assert.Equal("user", lines[0].GetProperty("messages")[1].GetProperty("role").GetString());
        Assert.False(File.Exists(_dir.File("a.jsonl.partial")));
    }

    [Fact]
    public void Parallel_1_and_32_give_the_same_bytes()
    {
        Assert.Equal(0, MerliniteBinary.Run(Args(_dir.File("p1.jsonl"), parallel: 1)).ExitCode);
        Assert.Equal(0, MerliniteBinary.Run(Args(_dir.File("p32.jsonl"), parallel: 32)).ExitCode);
        Assert.Equal(File.ReadAllBytes(_dir.File("p1.jsonl")), File.ReadAllBytes(_dir.File("p32.jsonl")));
    }

    [Fact]
    public void Ctrl_c_says_how_many_lines_were_kept_and_the_same_command_continues()
    {
        string whole = _dir.File("whole-c.jsonl"), stopped = _dir.File("stopped.jsonl");
        Assert.Equal(0, MerliniteBinary.Run(Args(whole)).ExitCode);
        // SIGINT with the default disposition, as a terminal's Ctrl+C meets it (see RunCliTests).
        var psi = new ProcessStartInfo("perl") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die", MerliniteBinary.Path }.Concat(Args(stopped, parallel: 1))) psi.ArgumentList.Add(a);
        string stderr;
        using (var child = Process.Start(psi)!)
        {
            var err = child.StandardError.ReadToEndAsync();
            _ = child.StandardOutput.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (CompleteLines(stopped + ".partial") < 2 && !child.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(5);
            Assert.False(child.HasExited, "the run finished before it could be interrupted");
            using (var kill = Process.Start("kill", ["-INT", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!) kill.WaitForExit();
            Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)), "Ctrl+C did not stop sample");
            Assert.Equal(130, child.ExitCode);
            stderr = err.Result;
        }
        int kept = CompleteLines(stopped + ".partial");
        Assert.Contains($"interrupted: {kept} finished line{(kept == 1 ? "" : "s")} kept in {stopped}.partial; run the same command again to continue after them", stderr);
        Assert.Equal(0, MerliniteBinary.Run(Args(stopped, parallel: 1)).ExitCode);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(stopped));
    }

    [Fact]
    public void A_run_killed_with_sigkill_and_rerun_gives_the_same_output_as_an_uninterrupted_run()
    {
        string whole = _dir.File("whole.jsonl"), resumed = _dir.File("resumed.jsonl");
        Assert.Equal(0, MerliniteBinary.Run(Args(whole)).ExitCode);

        // --parallel 1 makes the run long enough (about 40 x 8 x 48 single-sequence steps) to be killed in the middle.
        var psi = new ProcessStartInfo(MerliniteBinary.Path) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in Args(resumed, parallel: 1)) psi.ArgumentList.Add(a);
        using (var child = Process.Start(psi)!)
        {
            _ = child.StandardError.ReadToEndAsync();
            _ = child.StandardOutput.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (CompleteLines(resumed + ".partial") < 3 && !child.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(5);
            Assert.False(child.HasExited, "the run finished before it could be killed; make the workload longer");
            child.Kill(); // SIGKILL: no cleanup code runs
            child.WaitForExit();
        }
        int kept = CompleteLines(resumed + ".partial");
        Assert.InRange(kept, 3, 39);
        Assert.False(File.Exists(resumed), "a killed run must not leave a file with the final name");

        var rerun = MerliniteBinary.Run(Args(resumed, parallel: 1));
        Assert.Equal(0, rerun.ExitCode);
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(resumed));
    }

    [Fact]
    public void A_torn_last_line_is_detected_and_redone()
    {
        string whole = _dir.File("whole.jsonl"), torn = _dir.File("torn.jsonl");
        Assert.Equal(0, MerliniteBinary.Run(Args(whole)).ExitCode);
        var bytes = File.ReadAllBytes(whole);
        int cut = IndexOfNth(bytes, (byte)'\n', 5) + 40; // five whole lines and the start of the sixth
        File.WriteAllBytes(torn + ".partial", bytes[..cut]);
        Assert.Equal(0, MerliniteBinary.Run(Args(torn)).ExitCode);
        Assert.Equal(bytes, File.ReadAllBytes(torn));
    }

    [Fact]
    public void Stop_strings_and_max_tokens_are_recorded_as_finish_reasons()
    {
        Assert.Equal(0, MerliniteBinary.Run(Args(_dir.File("s.jsonl"), maxTokens: 6, extra: ["--stop", "e"])).ExitCode);
        var samples = File.ReadAllLines(_dir.File("s.jsonl"))
            .SelectMany(l => JsonDocument.Parse(l).RootElement.GetProperty("samples").EnumerateArray()).ToList();
        Assert.All(samples, s => Assert.DoesNotContain("e", s.GetProperty("text").GetString()));
        Assert.All(samples, s => Assert.InRange(s.GetProperty("tokens").GetInt32(), 0, 6));
        var reasons = samples.Select(s => s.GetProperty("finish_reason").GetString()).ToHashSet();
        Assert.Contains("stop", reasons);
        Assert.Contains("length", reasons);
        Assert.All(samples.Where(s => s.GetProperty("finish_reason").GetString() == "length"),
            s => Assert.Equal(6, s.GetProperty("tokens").GetInt32()));
    }

    [Fact]
    public void Bad_input_gets_a_clear_error_and_no_output_file()
    {
        var badJson = _dir.File("bad.jsonl");
        File.WriteAllLines(badJson, ["{\"id\":\"a\",\"prompt\":\"ok\"}", "{not json"]);
        var r = MerliniteBinary.Run("sample", "-m", _model, "-i", badJson, "-o", _dir.File("x.jsonl"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("bad.jsonl:2", r.Stderr);

        var longPrompt = _dir.File("long.jsonl");
        File.WriteAllText(longPrompt, $"{{\"id\":\"huge\",\"prompt\":\"{string.Join(" ", Enumerable.Repeat("word", 300))}\"}}\n");
        r = MerliniteBinary.Run("sample", "-m", _model, "-i", longPrompt, "-o", _dir.File("x.jsonl"), "--ctx", "128");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'huge'", r.Stderr);
        Assert.Contains("--ctx", r.Stderr);

        r = MerliniteBinary.Run("sample", "-m", _model, "-i", _prompts, "-o", _dir.File("x.jsonl"), "--n", "0");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--n", r.Stderr);
        r = MerliniteBinary.Run("sample", "-m", _dir.File("missing.gguf"), "-i", _prompts, "-o", _dir.File("x.jsonl"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("missing.gguf", r.Stderr);
        Assert.False(File.Exists(_dir.File("x.jsonl")));
    }

    private static int CompleteLines(string path)
    {
        try
        {
            using var s = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            int n = 0, b;
            while ((b = s.ReadByte()) >= 0) if (b == '\n') n++;
            return n;
        }
        catch (FileNotFoundException) { return 0; }
    }

    private static int IndexOfNth(byte[] data, byte value, int n)
    {
        for (int i = 0; i < data.Length; i++) if (data[i] == value && --n == 0) return i;
        throw new InvalidOperationException("not enough lines");
    }
}
