using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace Merlinite.Cli.Tests;

/// <summary>`merlinite serve` on a free loopback port, started for a test and stopped (SIGTERM) after it.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _log = new();

    public ServerProcess(string model, params string[] extra) : this(model, waitUntilHealthy: true, extra) { }

    /// <summary>Starts the server; without <paramref name="waitUntilHealthy"/> it returns as soon as the process runs, so
    /// a test can watch it load (then call <see cref="WaitUntilHealthy"/>).</summary>
    public ServerProcess(string model, bool waitUntilHealthy, params string[] extra)
        : this(FreePort(), port => [MerliniteBinary.Path, "serve", "-m", model, "--port", Text(port), "-t", "1", .. extra],
            waitUntilHealthy) { }

    /// <summary>Another executable that serves (a chat binary): <paramref name="command"/> gives its command line for
    /// a free port, the file first.</summary>
    public static ServerProcess Start(Func<int, string[]> command) => new(FreePort(), command, waitUntilHealthy: true);

    private static string Text(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private ServerProcess(int port, Func<int, string[]> command, bool waitUntilHealthy)
    {
        Port = port;
        string[] line = command(port);
        var psi = new ProcessStartInfo(line[0])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in line[1..]) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}/"), Timeout = TimeSpan.FromMinutes(2) };
        if (waitUntilHealthy) WaitUntilHealthy();
    }

    public void WaitUntilHealthy()
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"merlinite serve exited with {_process.ExitCode}:\n{Log}");
            try { if (Http.GetAsync("health").Result.StatusCode == HttpStatusCode.OK) break; }
            catch (AggregateException) { }
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("merlinite serve did not become healthy in 60 s:\n" + Log);
            Thread.Sleep(50);
        }
    }

    public int Port { get; }
    public HttpClient Http { get; }
    public Uri V1 => new($"http://127.0.0.1:{Port}/v1");
    public string Log { get { lock (_log) return _log.ToString(); } }
    public Process Process => _process;

    /// <summary>POSTs a body (raw bytes that need not be UTF-8) and reads the JSON answer and its headers.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseHeaders Headers)> Post(
        string path, byte[] body, string? key = null)
    {
        using var req = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        req.Content.Headers.ContentType = new("application/json");
        // For a body the server refuses by its length: it answers before reading it (as curl sends bodies).
        if (body.Length > 1 << 20) req.Headers.ExpectContinue = true;
        if (key is not null) req.Headers.Authorization = new("Bearer", key);
        using var resp = await Http.SendAsync(req);
        string text = await resp.Content.ReadAsStringAsync();
        return (resp.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), resp.Headers);
    }

    /// <summary>POSTs a JSON text.</summary>
    public Task<(HttpStatusCode Status, JsonElement Body, HttpResponseHeaders Headers)> Post(
        string path, string json, string? key = null) => Post(path, System.Text.Encoding.UTF8.GetBytes(json), key);

    /// <summary>One value from /metrics (Prometheus text).</summary>
    public async Task<long> Metric(string name)
    {
        string text = await Http.GetStringAsync("metrics");
        var line = text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
        return long.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Polls a /metrics value until <paramref name="until"/> holds; fails naming <paramref name="what"/> after
    /// <paramref name="seconds"/>.</summary>
    public async Task WaitForMetric(string name, Func<long, bool> until, string what, int seconds = 10)
    {
        var clock = Stopwatch.StartNew();
        while (!until(await Metric(name)))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(seconds), $"{what} (after {seconds} s)");
            await Task.Delay(10);
        }
    }

    /// <summary>A TCP port free on loopback now (for a server or daemon a test starts).</summary>
    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>SIGTERM, as a service manager stops it; returns the exit code.</summary>
    public int Stop()
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(20))) { _process.Kill(true); throw new TimeoutException("merlinite serve ignored SIGTERM for 20 s"); }
        }
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try { Stop(); } catch (Exception) { if (!_process.HasExited) _process.Kill(true); }
        Http.Dispose();
        _process.Dispose();
    }
}
