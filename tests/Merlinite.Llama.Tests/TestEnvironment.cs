using System.Diagnostics;

namespace Merlinite.Llama.Tests;

/// <summary>Tests that load llama.cpp run one at a time (the runtime and its log are process-wide).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeCollection
{
    public const string Name = "llama.cpp native";
}

/// <summary>Paths of the repository checkout and tools the tests use.</summary>
internal static class TestEnvironment
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Merlinite.Native.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Merlinite.Native.sln not found above {AppContext.BaseDirectory}");
    });

    public static string RepoRoot => Root.Value;
    public static string LlamaInclude => Path.Combine(RepoRoot, ".cache", "llama.cpp", "include");
    public static string GgmlInclude => Path.Combine(RepoRoot, ".cache", "llama.cpp", "ggml", "include");
    public static string NativeLib => Path.Combine(RepoRoot, "native", "lib");

    /// <summary>Fails (never skips) when the header checkout is absent.</summary>
    public static void RequireHeaders()
    {
        string h = Path.Combine(LlamaInclude, "llama.h");
        Assert.True(File.Exists(h) && File.Exists(Path.Combine(GgmlInclude, "ggml.h")),
            $"llama.cpp v0.5.0 headers not found ({h}); run `./build.sh headers` to fetch them into .cache/llama.cpp");
    }

    public static string HeaderText(params string[] files) =>
        string.Join("\n", files.Select(f => File.ReadAllText(Path.Combine(f.StartsWith("ggml", StringComparison.Ordinal) ? GgmlInclude : LlamaInclude, f))));

    public static string Cc => Lazy.Value;

    private static readonly Lazy<string> Lazy = new(() =>
    {
        foreach (string c in new[] { "gcc", "cc" })
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
                if (File.Exists(Path.Combine(dir, c))) return Path.Combine(dir, c);
        throw new InvalidOperationException("no C compiler (gcc or cc) on PATH; run ./build.sh, which installs gcc");
    });

    /// <summary>Compiles <paramref name="source"/> against the llama.cpp headers (optionally linked with libllama from
    /// native/lib), runs it and returns its stdout.</summary>
    public static string CompileAndRun(string source, bool link, string name)
    {
        RequireHeaders();
        string dir = Path.Combine(Path.GetTempPath(), "merlinite-llama-tests", $"{name}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string c = Path.Combine(dir, name + ".c"), exe = Path.Combine(dir, name);
            File.WriteAllText(c, source);
            var args = new List<string> { "-std=c11", "-O0", "-Werror=implicit-function-declaration", "-I", LlamaInclude, "-I", GgmlInclude, c, "-o", exe };
            if (link)
            {
                // The npm prebuilt names it libllama.v0.5.0.so; a build from source (the default), libllama.so.
                string? lib = new[] { "libllama.v0.5.0.so", "libllama.so" }.FirstOrDefault(f => File.Exists(Path.Combine(NativeLib, f)));
                Assert.True(lib is not null, $"no libllama in {NativeLib}; run ./build.sh (it copies the llama.cpp libraries to native/lib)");
                args.AddRange(["-L", NativeLib, $"-l:{lib}", $"-Wl,-rpath,{NativeLib}"]);
            }
            var (rc, _, err) = Run(Cc, args, dir);
            Assert.True(rc == 0, $"compiling the C probe failed ({rc}):\n{err}\n--- source ---\n{source}");
            var (rc2, stdout, err2) = Run(exe, [], dir);
            Assert.True(rc2 == 0, $"the C probe failed ({rc2}):\n{err2}");
            return stdout;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static (int Rc, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, string cwd)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }
}
