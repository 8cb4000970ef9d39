using Merlinite.Gguf;

namespace Merlinite.Trainer.Tests;

/// <summary>Bad input makes the trainer exit 1, with an "error" event on stdout and the message on stderr naming the file and line.</summary>
[Collection("trainer")]
public class BadInputTests(TinyModels models)
{
    private const string Good = """{"tokens":[1,20,30,40],"mask":[0,0,1,1]}""";

    [Theory]
    [InlineData("empty", "", null, "dataset is empty")]
    [InlineData("blank-lines-only", "\n\n", null, "dataset is empty")]
    [InlineData("malformed-json", Good + "\n" + Good + "\n{\"tokens\":[1,2,", 3, "malformed JSON")]
    [InlineData("not-an-object", "[1,2,3]", 1, "expected a JSON object")]
    [InlineData("missing-mask", """{"tokens":[1,2,3]}""", 1, "missing \"mask\"")]
    [InlineData("token-out-of-vocab", Good + "\n" + """{"tokens":[1,20,99999],"mask":[0,1,1]}""", 2, "outside the vocabulary")]
    [InlineData("negative-token", """{"tokens":[1,-5,7],"mask":[0,1,1]}""", 1, "outside the vocabulary")]
    [InlineData("mask-length", Good + "\n" + """{"tokens":[1,20,30],"mask":[0,1]}""", 2, "mask has 2 entries but tokens has 3")]
    [InlineData("mask-value", """{"tokens":[1,20,30],"mask":[0,2,1]}""", 1, "mask values must be 0 or 1")]
    [InlineData("too-long", Good + "\n" + """{"tokens":[1,2,3,4,5,6,7,8,9,10],"mask":[0,0,0,0,0,1,1,1,1,1]}""", 2, "longer than --max-seq-len (8)")]
    [InlineData("nothing-to-learn", """{"tokens":[1,20,30],"mask":[1,0,0]}""", 1, "no token after the first has mask 1")]
    public void Bad_data_names_the_file_and_line(string name, string content, int? line, string expected)
    {
        string data = models.NewFile($"{name}.jsonl");
        File.WriteAllText(data, content);
        var result = TrainerProcess.Run("--base", models.Mistral, "--data", data, "--out", models.NewFile("never.gguf"), "--max-seq-len", "8", "--threads", "1");
        AssertFailure(result, line is null ? data : $"{data}:{line}", expected);
    }

    [Fact]
    public void Longer_than_the_model_context_is_refused_when_no_max_seq_len_is_given()
    {
        // The tiny models have a 1024-token context.
        var tokens = Enumerable.Range(0, 1100).Select(i => 3 + i % 200).ToArray();
        string data = models.NewFile("too-long-for-context.jsonl");
        File.WriteAllText(data, $"{Good}\n{{\"tokens\":[{string.Join(',', tokens)}],\"mask\":[{string.Join(',', tokens.Select(_ => 1))}]}}\n");
        var result = TrainerProcess.Run("--base", models.Mistral, "--data", data, "--out", models.NewFile("never.gguf"), "--threads", "1");
        AssertFailure(result, $"{data}:2", "longer than the model's context length (1024)");
    }

    [Fact]
    public void A_base_model_of_another_architecture_is_refused()
    {
        string model = models.NewFile("gpt2.gguf");
        var writer = new GgufWriter();
        writer.AddString("general.architecture", "gpt2");
        writer.AddTensor("token_embd.weight", [8, 4], GgmlType.F32, new float[32]);
        writer.Write(model);
        string data = models.NewFile("ok.jsonl");
        File.WriteAllText(data, Good);
        var result = TrainerProcess.Run("--base", model, "--data", data, "--out", models.NewFile("never.gguf"), "--threads", "1");
        AssertFailure(result, model, "general.architecture is 'gpt2'");
    }

    [Fact]
    public void A_missing_data_file_and_an_unknown_flag_are_reported()
    {
        string data = models.NewFile("does-not-exist.jsonl");
        AssertFailure(TrainerProcess.Run("--base", models.Mistral, "--data", data, "--out", models.NewFile("never.gguf")), data, "not found");
        AssertFailure(TrainerProcess.Run("--base", models.Mistral, "--data", data, "--out", "x.gguf", "--lr", "fast"), "--lr", "not a number");
        AssertFailure(TrainerProcess.Run("--base", models.Mistral, "--data", data, "--out", "x.gguf", "--targets", "attn_z"), "--targets", "attn_z");
    }

    [Theory]
    [InlineData("gpu", "is not cpu, cuda, cuda:N or auto")]
    [InlineData("cuda:x", "is not cpu, cuda, cuda:N or auto")]
    [InlineData("cuda", "bundles the CPU libtorch only; rebuild it with TRAINER_LIBTORCH=external")]
    [InlineData("cuda:1", "bundles the CPU libtorch only")]
    public void A_device_this_build_cannot_use_is_refused_before_loading(string device, string expected)
    {
        string data = models.NewFile($"device-{device.Replace(':', '-')}.jsonl");
        File.WriteAllText(data, Good);
        AssertFailure(TrainerProcess.Run("--base", models.Mistral, "--data", data, "--out", models.NewFile("never.gguf"), "--device", device),
            $"--device{(expected.StartsWith("is not") ? ": '" + device + "'" : " " + device)}", expected);
    }

    [Fact]
    public void Info_says_the_bundled_libtorch_trains_on_the_cpu_even_when_auto()
    {
        var result = TrainerProcess.Run("--info", "--device", "auto");
        Assert.Equal(0, result.ExitCode);
        var info = System.Text.Json.JsonDocument.Parse(result.Stdout.Trim()).RootElement;
        Assert.StartsWith("bundled", info.GetProperty("libtorch").GetString());
        Assert.Equal("cpu", info.GetProperty("device").GetString());
        Assert.False(info.GetProperty("cuda_available").GetBoolean());
    }

    private static void AssertFailure(TrainerProcess.Result result, string where, string expected)
    {
        Assert.Equal(1, result.ExitCode);
        var error = result.Events.OfKind("error").Single();
        string message = error.GetProperty("message").GetString()!;
        Assert.Contains(where, message);
        Assert.Contains(expected, message);
        Assert.Contains(message, result.Stderr);
        Assert.Empty(result.Events.OfKind("done"));
    }
}
