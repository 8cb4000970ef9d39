namespace Merlinite.Cli.Tests;

/// <summary>`serve` stopped by a service manager (SIGTERM) or a closed terminal (SIGHUP): it ends cleanly, with no
/// process of its own left and its port free again.</summary>
public sealed class ServeSignalTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("TERM")]
    [InlineData("HUP")]
    public void A_signal_stops_the_server_and_frees_its_port(string signal)
    {
        string model = _dir.File("serve.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "5", "--out", model).ExitCode);
        using var server = new ServerProcess(model);
        SignalledRun.Send(server.Process.Id, signal);
        Assert.True(server.Process.WaitForExit(TimeSpan.FromSeconds(20)), $"serve ignored SIG{signal} for 20 s");
        // A server asked to stop has done its job: exit 0, as the generic host does for SIGTERM.
        Assert.True(server.Process.ExitCode == 0, $"exit {server.Process.ExitCode}: {server.Log}");
        Assert.Empty(SignalledRun.Running(model));
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, server.Port);
        listener.Start(); // throws when the port is still held
        listener.Stop();
    }
}
