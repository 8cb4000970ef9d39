namespace Merlinite.Cli.Tests;

public class CliUsageTests
{
    [Fact]
    public void Help_lists_every_command()
    {
        var r = MerliniteBinary.Run("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var c in new[] { "chat", "generate", "score", "reward", "bench", "synth", "quantize", "gguf", "info" }) Assert.Contains(c, r.Stdout);
    }

    [Theory]
    [InlineData("chat", "--help")]
    [InlineData("generate", "--help")]
    [InlineData("synth", "--help")]
    [InlineData("quantize", "--help")]
    [InlineData("gguf", "info", "--help")]
    public void Every_command_has_help(params string[] args)
    {
        var r = MerliniteBinary.Run(args);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage:", r.Stdout);
    }

    [Theory]
    [InlineData("--no-such-flag")]
    [InlineData("frobnicate")]
    [InlineData("chat")]                                     // missing MODEL
    [InlineData("synth", "--preset", "tiny")]               // missing --out
    [InlineData("chat", "m.gguf", "--temp", "warm")]        // not a number
    [InlineData("quantize", "-m", "a.gguf", "-o", "b.gguf", "--type", "q9_z")]
    public void Bad_flags_exit_2_with_a_message_on_stderr(params string[] args)
    {
        var r = MerliniteBinary.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("error:", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Out_of_range_values_exit_2_naming_the_flag()
    {
        using var dir = new TempDir();
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--out", dir.File("t.gguf")).ExitCode);
        var r = MerliniteBinary.Run("chat", dir.File("t.gguf"), "-p", "hi", "--top-p", "1.5");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--top-p", r.Stderr);
    }

    [Fact]
    public void Unknown_preset_and_bad_dims_exit_2()
    {
        using var dir = new TempDir();
        var r = MerliniteBinary.Run("synth", "--preset", "huge", "--out", dir.File("x.gguf"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("huge", r.Stderr);
        r = MerliniteBinary.Run("synth", "--dims", "n_embed=3", "--out", dir.File("x.gguf"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("n_embed", r.Stderr);
        Assert.False(File.Exists(dir.File("x.gguf")));
    }

    [Fact]
    public void A_missing_model_file_is_named_in_the_error()
    {
        var r = MerliniteBinary.Run("chat", "/nonexistent/model.gguf", "-p", "hi");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("/nonexistent/model.gguf", r.Stderr);
    }

    [Fact]
    public void The_binary_is_native_and_needs_no_dotnet_runtime()
    {
        var bytes = File.ReadAllBytes(MerliniteBinary.Path).AsSpan(0, 4).ToArray();
        Assert.Equal(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }, bytes);
        var psi = new System.Diagnostics.ProcessStartInfo("ldd", MerliniteBinary.Path) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        string deps = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.DoesNotContain("coreclr", deps);
        Assert.DoesNotContain("hostfxr", deps);
        Assert.DoesNotContain("not found", deps);
    }

    [Fact]
    public void Info_reports_llama_cpp_release_and_a_cpu_device()
    {
        var r = MerliniteBinary.Run("info");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("release v0.5.0", r.Stdout);
        Assert.Matches(@"\[0\] Cpu", r.Stdout);
    }

    [Fact]
    public void The_single_file_needs_no_library_folder_and_says_a_given_one_is_ignored()
    {
        var psi = new System.Diagnostics.ProcessStartInfo(MerliniteBinary.Path, "info") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.Environment["MERLINITE_LIB_DIR"] = "/nonexistent/libs";
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("libraries      linked into this executable (x86-64-v3); " +
                        "MERLINITE_LIB_DIR (/nonexistent/libs) is ignored", output);
    }
}
