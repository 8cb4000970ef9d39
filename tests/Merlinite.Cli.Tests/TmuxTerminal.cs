using System.Diagnostics;

namespace Merlinite.Cli.Tests;

/// <summary>A command in a real terminal: a detached tmux session on its own server socket, driven by send-keys and
/// read by capture-pane.</summary>
public sealed class TmuxTerminal : IDisposable
{
    private readonly string _socket = "merlinite-test-" + Guid.NewGuid().ToString("N")[..12];

    /// <param name="command">a shell command; "EXIT=code" is printed when it ends, and the pane stays open.</param>
    public TmuxTerminal(string command, int width = 120, int height = 40)
    {
        Tmux("new-session", "-d", "-s", "t", "-x", width.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-y", height.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{command}; echo EXIT=$?; sleep 600");
    }

    /// <summary>tmux key names (Enter, Left, C-c, M-Enter) or literal text.</summary>
    public void Keys(params string[] keys) => Tmux(["send-keys", "-t", "t", .. keys]);

    /// <summary>Text typed as is (no key names).</summary>
    public void Type(string text) => Tmux("send-keys", "-t", "t", "-l", text);

    /// <summary>Everything the pane shows and has scrolled away, wrapped lines joined.</summary>
    public string Screen() => Tmux("capture-pane", "-t", "t", "-p", "-J", "-S", "-5000");

    public string WaitFor(Func<string, bool> condition, string what, int seconds = 30)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            string screen = Screen();
            if (condition(screen)) return screen;
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds)) throw new TimeoutException($"the terminal never showed {what}; it shows:\n{screen}");
            Thread.Sleep(50);
        }
    }

    public string WaitFor(string text, int seconds = 30) => WaitFor(s => s.Contains(text, StringComparison.Ordinal), $"'{text}'", seconds);

    private string Tmux(params string[] args)
    {
        var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-L");
        psi.ArgumentList.Add(_socket);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd(), error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"tmux {string.Join(' ', args)}: {error}");
        return output;
    }

    public void Dispose()
    {
        try { Tmux("kill-server"); } catch (InvalidOperationException) { }
    }
}
