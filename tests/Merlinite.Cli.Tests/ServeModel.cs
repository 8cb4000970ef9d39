namespace Merlinite.Cli.Tests;

/// <summary>The synthesized model the serve and token-bytes tests run (seed 11), made once per test class instead of
/// once per test.</summary>
public sealed class ServeModel : IDisposable
{
    private readonly TempDir _dir = new();

    public ServeModel()
    {
        Path = _dir.File("srv.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "11", "--out", Path).ExitCode);
    }

    public string Path { get; }

    public void Dispose() => _dir.Dispose();
}
