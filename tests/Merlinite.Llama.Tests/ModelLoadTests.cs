namespace Merlinite.Llama.Tests;

/// <summary>Failures to load a model are exceptions naming the path, never a crash. (Tests with a real model need a
/// synthesized GGUF and live elsewhere.)</summary>
[Collection(NativeCollection.Name)]
public sealed class ModelLoadTests
{
    [Fact]
    public void Nonexistent_model_file_names_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), "merlinite-missing-" + Guid.NewGuid().ToString("N") + ".gguf");
        var e = Assert.Throws<LlamaModelLoadException>(() => LlamaModel.Load(path));
        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message);
        Assert.Contains("not found", e.Message);
        Assert.IsType<FileNotFoundException>(e.InnerException);
    }

    [Fact]
    public void Relative_path_is_reported_as_given_and_in_full()
    {
        string rel = "no-such-dir-" + Guid.NewGuid().ToString("N") + "/model.gguf";
        var e = Assert.Throws<LlamaModelLoadException>(() => LlamaModel.Load(rel));
        Assert.Contains(rel, e.Message);
        Assert.Equal(Path.GetFullPath(rel), e.Path);
    }

    [Fact]
    public void A_file_that_is_not_GGUF_names_the_path_and_llama_cpps_reason()
    {
        string path = Path.Combine(Path.GetTempPath(), "merlinite-garbage-" + Guid.NewGuid().ToString("N") + ".gguf");
        File.WriteAllBytes(path, [.. "GGUF"u8, 3, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        try
        {
            var e = Assert.Throws<LlamaModelLoadException>(() => LlamaModel.Load(path, LlamaModel.DefaultParams()));
            Assert.Contains(path, e.Message);
            Assert.Contains("could not load the model", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Empty_file_is_an_exception_too()
    {
        string path = Path.GetTempFileName();
        try
        {
            var e = Assert.Throws<LlamaModelLoadException>(() => LlamaModel.Load(path));
            Assert.Contains(path, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Quantizing_a_missing_file_names_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), "merlinite-missing-" + Guid.NewGuid().ToString("N") + ".gguf");
        var e = Assert.Throws<LlamaModelLoadException>(() => LlamaQuantizer.Quantize(path, path + ".q8", LlamaQuantizer.DefaultParams()));
        Assert.Contains(path, e.Message);
    }
}
