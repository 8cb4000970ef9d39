using System.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace Merlinite.Cli.Tests;

/// <summary>
/// A stand-in for a Kubernetes cluster, since none can run here: a `kubectl` on PATH (a shell script) records its calls
/// and hands applied manifests to this class, which runs an Indexed Job's pods as local processes exactly as the
/// manifest says (command, args with $(VAR) expanded from the container's env, JOB_COMPLETION_INDEX per pod) and
/// answers `kubectl get job NAME -o json` with the Job's status (succeeded, failed, active, the Complete/Failed
/// condition). What it checks is the manifest's own command line, not a copy of it.
/// </summary>
public sealed class FakeKubernetes : IDisposable
{
    private readonly string _state;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _controller;
    private readonly List<Process> _pods = [];

    public string BinDir { get; }
    public IReadOnlyDictionary<string, string> Environment { get; }
    public IReadOnlyList<string> Calls => File.Exists(Log) ? File.ReadAllLines(Log) : [];
    public List<string> Manifests { get; } = [];
    private string Log => Path.Combine(_state, "calls.log");

    public FakeKubernetes(string dir)
    {
        _state = Path.Combine(dir, "state");
        BinDir = Path.Combine(dir, "bin");
        Directory.CreateDirectory(_state);
        Directory.CreateDirectory(BinDir);
        string kubectl = Path.Combine(BinDir, "kubectl");
        File.WriteAllText(kubectl, $$$"""
            #!/bin/bash
            s='{{{_state}}}'
            echo "$*" >> "$s/calls.log"
            case "$1" in
              apply)
                # The Job exists as soon as apply returns, as on a real API server; the controller starts its pods.
                name=$(sed -n 's/^  name: //p' "$3" | head -1); rm -f "$s/$name".*
                sed -n 's/^  completions: //p' "$3" | head -1 > "$s/$name.completions"
                n=$(ls "$s" | grep -c '^applied-'); cp "$3" "$s/applied-$n.tmp" && mv "$s/applied-$n.tmp" "$s/applied-$n.yaml"
                echo "job.batch/$name created" ;;
              delete) echo "deleted" ;;
              get)
                name="$3"; [ -f "$s/$name.completions" ] || { echo "Error from server (NotFound): jobs.batch \"$name\" not found" >&2; exit 1; }
                n=$(cat "$s/$name.completions"); ok=0; bad=0; started=0
                for f in "$s/$name".*.exit; do [ -e "$f" ] || continue; if [ "$(cat "$f")" = 0 ]; then ok=$((ok+1)); else bad=$((bad+1)); fi; done
                for f in "$s/$name".*.started; do [ -e "$f" ] && started=$((started+1)); done
                cond=""
                if [ "$ok" -eq "$n" ]; then cond='{"type":"Complete","status":"True"}'; elif [ "$bad" -gt 0 ]; then cond='{"type":"Failed","status":"True"}'; fi
                echo "{\"status\":{\"succeeded\":$ok,\"failed\":$bad,\"active\":$((started-ok-bad)),\"conditions\":[$cond]}}" ;;
              *) echo "fake kubectl: $1 not supported" >&2; exit 1 ;;
            esac
            """.Replace("\r", ""));
        File.SetUnixFileMode(kubectl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Environment = new Dictionary<string, string> { ["PATH"] = BinDir + ":" + System.Environment.GetEnvironmentVariable("PATH") };
        _controller = Task.Run(Control);
    }

    // The Job controller: every applied manifest's pods, one process per completion index.
    private async Task Control()
    {
        int seen = 0;
        while (!_stop.IsCancellationRequested)
        {
            string next = Path.Combine(_state, $"applied-{seen}.yaml");
            if (!File.Exists(next)) { await Task.Delay(50).ConfigureAwait(false); continue; }
            string text = File.ReadAllText(next);
            Manifests.Add(text);
            seen++;
            var yaml = new YamlStream();
            yaml.Load(new StringReader(text));
            var job = (YamlMappingNode)yaml.Documents[0].RootNode;
            string name = Scalar(job, "metadata", "name");
            int completions = int.Parse(Scalar(job, "spec", "completions"));
            var container = (YamlMappingNode)((YamlSequenceNode)Node(job, "spec", "template", "spec", "containers"))[0];
            string command = ((YamlSequenceNode)container["command"])[0].ToString();
            var args = ((YamlSequenceNode)container["args"]).Select(a => a.ToString()).ToList();
            for (int k = 0; k < completions; k++) Start(name, k, command, args);
        }
    }

    private void Start(string name, int index, string command, List<string> args)
    {
        var psi = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a.Replace("$(JOB_COMPLETION_INDEX)", index.ToString(), StringComparison.Ordinal));
        psi.Environment["JOB_COMPLETION_INDEX"] = index.ToString();
        var pod = Process.Start(psi)!;
        lock (_pods) _pods.Add(pod);
        File.WriteAllText(Path.Combine(_state, $"{name}.{index}.started"), "");
        _ = pod.StandardOutput.ReadToEndAsync();
        var err = pod.StandardError.ReadToEndAsync();
        _ = Task.Run(async () =>
        {
            await pod.WaitForExitAsync().ConfigureAwait(false);
            File.WriteAllText(Path.Combine(_state, $"{name}.{index}.log"), await err.ConfigureAwait(false));
            File.WriteAllText(Path.Combine(_state, $"{name}.{index}.exit"), pod.ExitCode.ToString());
        });
    }

    public static YamlNode Node(YamlMappingNode root, params string[] path)
    {
        YamlNode n = root;
        foreach (var key in path) n = ((YamlMappingNode)n)[key];
        return n;
    }

    public static string Scalar(YamlMappingNode root, params string[] path) => Node(root, path).ToString();

    public void Dispose()
    {
        _stop.Cancel();
        try { _controller.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        lock (_pods)
            foreach (var p in _pods)
            {
                try { if (!p.HasExited) p.Kill(); } catch (InvalidOperationException) { }
                p.Dispose();
            }
        _stop.Dispose();
    }
}
