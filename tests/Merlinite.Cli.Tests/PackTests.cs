using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Merlinite.Gguf;

namespace Merlinite.Cli.Tests;

/// <summary>
/// `merlinite pack`: one executable with the engine, the tiny world's tuned model (its base and the instruct adapter)
/// and the chat settings, run the way a person who was handed the file runs it: in an empty folder, with an empty
/// environment, without bin/ or any library beside it.
/// </summary>
[Collection("tiny world")]
public sealed class PackTests(TinyWorld world) : IDisposable
{
    private readonly TempDir _dir = new();
    private string Base => world.Dir.File("runs/tiny/world/base.gguf");
    private string Adapter => world.Dir.File("runs/tiny/world/instruct-adapter.gguf");

    public void Dispose() => _dir.Dispose();

    /// <summary>Packs the tuned model into FOLDER/mychat and copies it alone into an empty folder.</summary>
    private string PackedAlone(params string[] extra)
    {
        string packed = _dir.File("pack/mychat");
        var pack = MerliniteBinary.Run(["pack", "-m", Base, "--lora", Adapter, "-o", packed, .. extra]);
        Assert.True(pack.ExitCode == 0, pack.Stderr);
        Directory.CreateDirectory(_dir.File("alone"));
        string alone = _dir.File("alone/mychat");
        File.Copy(packed, alone);
        File.SetUnixFileMode(alone, (UnixFileMode)0b111_101_101);
        return alone;
    }

    /// <summary>Runs FILE ARGS under `env -i` (nothing inherited: no PATH, HOME, MERLINITE_*), in FILE's folder, plus
    /// the variables given.</summary>
    private static RunResult Bare(string file, string[] args, params string[] variables)
    {
        var psi = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(file)!,
        };
        foreach (var a in new[] { "-i" }.Concat(variables).Append("./" + Path.GetFileName(file)).Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        return MerliniteBinary.Collect(p, null, $"{file} {string.Join(' ', args)}");
    }

    [Fact]
    public void A_chat_binary_alone_in_an_empty_environment_answers_as_merlinite_chat_does_and_serves_the_api()
    {
        string chat = PackedAlone("--name", "mychat");
        string[] ask = ["-p", "Add one: 4", "--seed", "7", "--temp", "1", "--max-tokens", "24"];
        var packed = Bare(chat, ask);
        Assert.True(packed.ExitCode == 0, packed.Stderr);
        var direct = MerliniteBinary.Run(["chat", Base, "--lora", Adapter, .. ask]);
        Assert.True(direct.ExitCode == 0, direct.Stderr);
        Assert.False(string.IsNullOrWhiteSpace(direct.Stdout));
        Assert.Equal(direct.Stdout, packed.Stdout);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(chat)!)); // nothing was written beside it

        using var server = ServerProcess.Start(port =>
            ["env", "-i", chat, "serve", "--port", port.ToString(CultureInfo.InvariantCulture), "-t", "1"]);
        var (status, body, _) = server.Post("v1/chat/completions",
            """{"messages": [{"role": "user", "content": "Add one: 4"}], "temperature": 0, "max_tokens": 8}""").Result;
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("mychat", body.GetProperty("model").GetString());
        var message = body.GetProperty("choices")[0].GetProperty("message");
        Assert.False(string.IsNullOrEmpty(message.GetProperty("content").GetString()));
    }

    [Fact]
    public void The_binary_and_a_chat_binary_link_only_system_libraries()
    {
        string[] system = ["linux-vdso.so.1", "libc.so.6", "libm.so.6", "libgcc_s.so.1", "libstdc++.so.6",
            "libpthread.so.0", "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2"];
        foreach (string file in new[] { MerliniteBinary.Path, PackedAlone() })
        {
            var ldd = Process.Start(new ProcessStartInfo("ldd", [file]) { RedirectStandardOutput = true })!;
            string text = ldd.StandardOutput.ReadToEnd();
            ldd.WaitForExit();
            var libraries = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => Path.GetFileName(l.Trim().Split(' ')[0])).ToArray();
            Assert.Contains("libc.so.6", libraries);
            Assert.All(libraries, l => Assert.True(system.Contains(l), $"{file} needs {l}:\n{text}"));
        }
    }

    [Fact]
    public void Info_tells_what_is_inside_and_a_first_start_unpacks_once_into_the_cache()
    {
        string chat = PackedAlone("--system", "Be brief.", "--name", "helper");
        var info = Bare(chat, ["info"]);
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains("helper: a chat binary made by merlinite pack", info.Stdout);
        Assert.Contains("model      base.gguf", info.Stdout);
        Assert.Contains("adapter    instruct-adapter.gguf", info.Stdout);
        Assert.Contains("system     \"Be brief.\"", info.Stdout);
        Assert.Contains("linked into this executable (x86-64-v3)", info.Stdout);

        var help = Bare(chat, ["--help"]);
        Assert.True(help.ExitCode == 0, help.Stderr);
        Assert.Contains("./mychat serve [--port N]", help.Stdout);

        string cache = _dir.File("cache");
        // What a first start killed during its copy leaves (process 2147483646 does not exist): removed, not used.
        string sha16 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Base)))[..16];
        string abandoned = Path.Combine(cache, "packs", sha16, "helper.gguf.2147483646.partial");
        Directory.CreateDirectory(Path.GetDirectoryName(abandoned)!);
        File.WriteAllText(abandoned, "half a model");
        var first = Bare(chat, ["-p", "Add one: 4", "--temp", "0"], $"MERLINITE_CACHE_DIR={cache}");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("unpacking base.gguf", first.Stderr);
        Assert.False(File.Exists(abandoned));
        var model = Directory.GetFiles(cache, "helper.gguf", SearchOption.AllDirectories).Single();
        Assert.Equal(File.ReadAllBytes(Base), File.ReadAllBytes(model));
        var later = Bare(chat, ["-p", "Add one: 4", "--temp", "0"], $"MERLINITE_CACHE_DIR={cache}");
        Assert.True(later.ExitCode == 0, later.Stderr);
        Assert.DoesNotContain("unpacking", later.Stderr);
        Assert.Equal(first.Stdout, later.Stdout);
    }

    [Fact]
    public void A_damaged_or_cut_short_chat_binary_says_so_instead_of_running()
    {
        string chat = PackedAlone();
        byte[] bytes = File.ReadAllBytes(chat);
        string cut = _dir.File("alone/cut");
        File.WriteAllBytes(cut, bytes[..^4096]);
        File.SetUnixFileMode(cut, (UnixFileMode)0b111_101_101);
        var cutRun = Bare(cut, ["-p", "hi"]);
        Assert.Equal(1, cutRun.ExitCode);
        Assert.Contains("cut short", cutRun.Stderr);

        // One byte of the model changed: the first start's copy checks its SHA-256.
        long modelOffset = JsonDocument.Parse(ManifestJson(bytes)).RootElement
            .GetProperty("model").GetProperty("offset").GetInt64();
        bytes[modelOffset + 100] ^= 0xFF;
        string damaged = _dir.File("alone/damaged");
        File.WriteAllBytes(damaged, bytes);
        File.SetUnixFileMode(damaged, (UnixFileMode)0b111_101_101);
        var damagedRun = Bare(damaged, ["-p", "hi"], $"MERLINITE_CACHE_DIR={_dir.File("cache2")}");
        Assert.Equal(1, damagedRun.ExitCode);
        var errors = damagedRun.Stderr.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains("base.gguf is damaged", Assert.Single(errors));
    }

    /// <summary>The manifest JSON: the trailer's last 16 bytes give its offset and length.</summary>
    private static string ManifestJson(byte[] file)
    {
        long offset = BitConverter.ToInt64(file, file.Length - 16);
        long length = BitConverter.ToInt64(file, file.Length - 8);
        return System.Text.Encoding.UTF8.GetString(file, (int)offset, (int)length);
    }

    [Fact]
    public void Packing_refuses_an_output_that_is_an_input_an_adapter_of_another_model_and_a_foreign_vocabulary()
    {
        // 2 for what the user asked (the output, the adapters), 1 for a file that is not what it should be (as
        // every command reports a malformed input).
        RunResult Pack(params string[] args) => Refused(2, args);
        RunResult Refused(int code, params string[] args)
        {
            var r = MerliniteBinary.Run(["pack", .. args]);
            Assert.True(r.ExitCode == code, r.Stderr);
            Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            return r;
        }

        // A copy of the model, so a refusal that wrote anyway would show.
        string model = _dir.File("base.gguf");
        File.Copy(Base, model);
        Assert.Contains("is also the --model file", Pack("-m", model, "-o", model).Stderr);
        Assert.Equal(File.ReadAllBytes(Base), File.ReadAllBytes(model));

        string narrow = _dir.File("narrow-adapter.gguf");
        AdapterFixture.Write(narrow, width: 64, rank: 4);
        Assert.Contains("narrow-adapter.gguf does not fit base.gguf",
            Pack("-m", model, "--lora", narrow, "-o", _dir.File("x")).Stderr);

        // The world's adapter, said (by its record) to be trained on a model with another vocabulary.
        string other = _dir.File("other.gguf");
        var synth = MerliniteBinary.Run("synth", "--preset", "tiny", "--dims", "n_vocab=1200", "--out", other);
        Assert.True(synth.ExitCode == 0, synth.Stderr);
        string adapter = _dir.File("adapter.gguf");
        File.Copy(Adapter, adapter);
        File.WriteAllText(adapter + ".meta.json", File.ReadAllText(Adapter + ".meta.json")
            .Replace(JsonEncodedText.Encode(Base).ToString(), JsonEncodedText.Encode(other).ToString(),
                StringComparison.Ordinal));
        Assert.Contains($"adapter.gguf was trained on {other}, whose vocabulary",
            Pack("-m", model, "--lora", adapter, "-o", _dir.File("y")).Stderr);

        Assert.Contains("is a LoRA adapter, not a model", Refused(1, "-m", adapter, "-o", _dir.File("z")).Stderr);
        Assert.False(File.Exists(_dir.File("x")) || File.Exists(_dir.File("y")) || File.Exists(_dir.File("z")));
    }
}
