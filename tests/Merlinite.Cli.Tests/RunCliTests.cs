using System.Diagnostics;
using System.Text.Json;

namespace Merlinite.Cli.Tests;

/// <summary>merlinite run: validation before anything runs, the dry-run plan, and resume after SIGKILL at several points.</summary>
public sealed class RunCliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public RunCliTests()
    {
        // A small world: two random models with the same vocabulary (the "instruct" one is just another seed), and
        // prompts with checkable answers. It tests the machinery, not learning (recipes/tiny.yaml does that).
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--out", _dir.File("base.gguf")).ExitCode);
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "2", "--out", _dir.File("instruct.gguf")).ExitCode);
        File.WriteAllLines(_dir.File("prompts.jsonl"), Enumerable.Range(0, 40).Select(i =>
        {
            var digits = Enumerable.Range(0, 3).Select(j => ((i * 7 + j) % 10).ToString()).ToArray();
            bool reverse = i % 2 == 0;
            return JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["id"] = $"q{i}", ["source"] = reverse ? "reverse" : "sort",
                ["prompt"] = (reverse ? "Reverse: " : "Sort: ") + string.Join(' ', digits),
                ["answer"] = string.Join(' ', reverse ? digits.Reverse() : digits.Order()),
            });
        }));
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Writes NAME/recipe.yaml (models and prompts one folder up, output in NAME/out) and returns its path;
    /// every NAME gets the same text (after <paramref name="edit"/>), so runs are comparable byte for byte.</summary>
    private string Recipe(string name, string extra = "", Func<string, string>? edit = null)
    {
        Directory.CreateDirectory(_dir.File(name));
        string path = Path.Combine(_dir.File(name), "recipe.yaml");
        File.WriteAllText(path, (edit ?? (t => t))($$"""
            name: smoke
            models:
              policy: {base: ../base.gguf}
              instruct: {path: ../instruct.gguf}
              reference: {path: ../base.gguf}
            prompts: {files: [../prompts.jsonl], per_round: 12, held_out: 8, seed: 3, system: ""}
            rounds: {max: 2}
            sampling: {n: 4, temperature: 1.0, max_tokens: 16, parallel: 8, context: 1024}
            reward: {beta: 0.5, context: 1024, template: merlinite}
            sft: {rank: 4, alpha: 8, lr: 0.01, epochs: 2}
            eval: {max_tokens: 8}
            output: {dir: out}
            {{extra}}
            """));
        return path;
    }

    private static readonly string[] Outputs =
    [
        "report.json", "report.md", "reward.svg",
        .. Enumerable.Range(0, 3).SelectMany(r => new[] { "samples.jsonl", "rewards.jsonl", "rewards.instruct-scores.jsonl", "rewards.reference-scores.jsonl", "winners.jsonl", "eval.jsonl" }.Select(f => $"round-{r}/{f}")),
        "round-0/adapter.gguf", "round-1/adapter.gguf",
    ];

    [Fact]
    public void A_run_writes_reports_and_one_file_per_phase_and_round()
    {
        string out_ = _dir.File("whole/out");
        var r = MerliniteBinary.Run("run", Recipe("whole"), "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var f in Outputs) Assert.True(File.Exists(Path.Combine(out_, f)), $"missing {f}");
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(out_, "report.json"))).RootElement;
        Assert.Equal(3, report.GetProperty("rounds").GetArrayLength());
        Assert.Contains("round 2: batch reward", r.Stdout);
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(out_, "manifest.json"))).RootElement;
        Assert.Equal(64, manifest.GetProperty("models").GetProperty("instruct").GetProperty("sha256").GetString()!.Length);
        // No working file outlives a successful run.
        Assert.Empty(Directory.GetFiles(out_, "*.partial", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetDirectories(out_, "*.checkpoints", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(out_, "*.tokens.jsonl", SearchOption.AllDirectories));
        Assert.Equal("done", manifest.GetProperty("phases").GetProperty("round-1/train").GetProperty("status").GetString());
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(out_, "reward.svg")));

        // A finished run rerun does nothing and changes nothing.
        var before = Outputs.Select(f => File.ReadAllBytes(Path.Combine(out_, f))).ToList();
        Assert.Equal(0, MerliniteBinary.Run("run", Recipe("whole"), "-t", "1").ExitCode);
        Assert.Equal(before, Outputs.Select(f => File.ReadAllBytes(Path.Combine(out_, f))).ToList());
    }

    [Theory]
    [InlineData("round-1/samples.jsonl.partial")]            // inside sampling
    [InlineData("round-0/rewards.reference-scores.jsonl.partial")]  // inside scoring (reference model)
    [InlineData("round-0/adapter.gguf.tokens.jsonl")]        // inside training (the sidecar is starting)
    [InlineData("round-1/eval.jsonl.partial")]               // inside evaluation
    public void Killed_with_sigkill_and_rerun_the_outputs_equal_an_uninterrupted_run(string trigger)
    {
        string whole = _dir.File("whole/out"), killed = _dir.File("killed/out");
        Assert.Equal(0, MerliniteBinary.Run("run", Recipe("whole"), "-t", "1").ExitCode);

        var psi = new ProcessStartInfo(MerliniteBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "run", Recipe("killed"), "-t", "1" }) psi.ArgumentList.Add(a);
        using (var child = Process.Start(psi)!)
        {
            _ = child.StandardOutput.ReadToEndAsync();
            _ = child.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(120);
            while (!File.Exists(Path.Combine(killed, trigger)) && !child.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(1);
            Assert.False(child.HasExited, $"the run ended before {trigger} appeared");
            child.Kill(); // SIGKILL to merlinite alone: an orphaned trainer dies at its next write to the closed pipe
            child.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(killed, "report.json")));
        Thread.Sleep(500);

        var r = MerliniteBinary.Run("run", Recipe("killed"), "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var f in Outputs)
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(killed, f))), $"{f} differs after the resume ({trigger})");
    }

    [Fact]
    public void Ctrl_c_stops_with_exit_130_and_the_run_continues_later()
    {
        string whole = _dir.File("whole/out"), stopped = _dir.File("stopped/out");
        Assert.Equal(0, MerliniteBinary.Run("run", Recipe("whole"), "-t", "1").ExitCode);

        // A background job of a non-interactive shell (how CI often runs tests) inherits SIGINT as ignored, and a process
        // rightly leaves it so; perl (always on Debian) restores the default disposition a terminal's Ctrl+C would meet.
        var psi = new ProcessStartInfo("perl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die", MerliniteBinary.Path, "run", Recipe("stopped"), "-t", "1" }) psi.ArgumentList.Add(a);
        using (var child = Process.Start(psi)!)
        {
            _ = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(120);
            // Early in the run, so that plenty of work is left when the signal lands even on a loaded machine.
            while (!File.Exists(Path.Combine(stopped, "round-0", "samples.jsonl.partial")) && !child.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(1);
            Assert.False(child.HasExited, "the run ended before it could be interrupted");
            using (var kill = Process.Start("kill", ["-INT", child.Id.ToString()])) kill.WaitForExit();
            Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)), "Ctrl+C did not stop the run");
            Assert.Equal(130, child.ExitCode);
            Assert.DoesNotContain("Unhandled", stderr.Result);
            Assert.Contains("interrupted: the finished phases are kept; run the same command again to continue", stderr.Result);
        }
        Assert.Equal(0, MerliniteBinary.Run("run", Recipe("stopped"), "-t", "1").ExitCode);
        foreach (var f in Outputs)
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(stopped, f))), $"{f} differs after Ctrl+C and a rerun");
    }

    [Theory]
    [InlineData("TERM", 1)]
    [InlineData("HUP", 2)]
    public void A_signal_stops_the_run_and_its_children_and_a_rerun_equals_an_uninterrupted_run(string signal, int shards)
    {
        string whole = _dir.File("whole/out"), stopped = _dir.File($"stopped-{signal}/out");
        Assert.Equal(0, MerliniteBinary.Run("run", Recipe("whole"), "-t", "1").ExitCode);

        // Any moment of the first 1.5 s after its first round began: sampling, scoring, or training with its sidecar.
        // (Up to 4 s was too long: on an idle machine the rest of the run took under 4 s and ended before the signal.)
        int seed = SignalledRun.NewSeed();
        string[] args = ["run", Recipe($"stopped-{signal}"), "--shards", $"{shards}", "-t", "2"];
        var r = SignalledRun.Stop(signal, args, () => Directory.Exists(Path.Combine(stopped, "round-0")),
            TimeSpan.FromSeconds(1.5), _dir.Path, seed);
        Assert.True(r.ExitCode == SignalledRun.ExitStatus(signal), $"exit {r.ExitCode} (seed {seed}): {r.Stderr}");
        Assert.Contains("interrupted: the finished phases are kept; run the same command again to continue", r.Stderr);
        Assert.True(r.Survivors.Length == 0, $"left running (seed {seed}): {string.Join("; ", r.Survivors)}");

        var rerun = MerliniteBinary.Run(args);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        foreach (var f in Outputs)
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(stopped, f))),
                $"{f} differs after SIG{signal} and a rerun (seed {seed})");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Sample_reward_and_eval_in_shard_processes_give_the_outputs_of_one_process_byte_for_byte(int shards)
    {
        string whole = _dir.File("one/out"), sharded = _dir.File($"sharded-{shards}/out");
        Assert.Equal(0, MerliniteBinary.Run("run", Recipe("one"), "-t", "1").ExitCode);
        var r = MerliniteBinary.Run("run", Recipe($"sharded-{shards}"), "--shards", $"{shards}", "-t", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var f in Outputs)
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(sharded, f))), $"{f} differs with {shards} shards");
        // The shard files are joined and gone; the joined samples carry the one-process job's record, so a rerun
        // without shards keeps everything.
        Assert.Empty(Directory.GetFiles(sharded, "*shard-*", SearchOption.AllDirectories));
        var plan = MerliniteBinary.Run("run", Recipe($"sharded-{shards}"), "--dry-run");
        Assert.Contains("keep (up to date)", plan.Stdout);
        Assert.DoesNotContain("recompute: ", plan.Stdout);
        Assert.DoesNotContain("resume", plan.Stdout);
    }

    [Fact]
    public void A_slurm_array_job_runs_the_shards_and_the_outputs_equal_one_process()
    {
        using var slurm = new OneNodeSlurm(_dir.File("cluster"));
        string whole = _dir.File("one/out"), onSlurm = _dir.File("on-slurm/out");
        Assert.Equal(0, MerliniteBinary.Run("run", Recipe("one"), "-t", "1").ExitCode);
        var r = MerliniteBinary.RunWithEnvironment(null, slurm.Environment, "run", Recipe("on-slurm"), "--shards", "2", "--executor", "slurm", "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        foreach (var f in Outputs)
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(onSlurm, f))), $"{f} differs on Slurm");
        // One array job per round's sampling, its script and its tasks' logs kept in the run folder.
        string script = File.ReadAllText(Path.Combine(onSlurm, "slurm", "sample-round-0.sbatch"));
        Assert.Contains("#SBATCH --array=0-1", script);
        Assert.Contains("--shard \"$SLURM_ARRAY_TASK_ID/2\"", script);
        Assert.True(File.Exists(Path.Combine(onSlurm, "slurm", "sample-round-2-1.log")));
        Assert.True(File.Exists(Path.Combine(onSlurm, "slurm", "reward-round-2.sbatch")));
        Assert.True(File.Exists(Path.Combine(onSlurm, "slurm", "eval-round-1-0.log")));
    }

    [Fact]
    public void Ctrl_c_cancels_the_slurm_array_and_a_rerun_finishes_the_run()
    {
        using var slurm = new OneNodeSlurm(_dir.File("cluster"));
        static string Slow(string t) => t.Replace("max_tokens: 16, parallel: 8", "max_tokens: 800, parallel: 1").Replace("rounds: {max: 2}", "rounds: {max: 1}");
        var psi = new ProcessStartInfo("perl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in slurm.Environment) psi.Environment[k] = v;
        foreach (var a in new[] { "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die", MerliniteBinary.Path, "run", Recipe("cancelled", edit: Slow), "--shards", "2", "--executor", "slurm", "-t", "1" })
            psi.ArgumentList.Add(a);
        using (var child = Process.Start(psi)!)
        {
            _ = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!slurm.Run("squeue", "-h", "-o", "%T").Contains("RUNNING", StringComparison.Ordinal) && !child.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(100);
            Assert.False(child.HasExited, "the run ended before its array job ran");
            using (var kill = Process.Start("kill", ["-INT", child.Id.ToString()])) kill.WaitForExit();
            Assert.True(child.WaitForExit(TimeSpan.FromSeconds(30)), "Ctrl+C did not stop the run");
            Assert.Equal(130, child.ExitCode);
            Assert.DoesNotContain("Unhandled", stderr.Result);
        }
        // scancel took the array off the cluster: no task left queued or running.
        var gone = DateTime.UtcNow.AddSeconds(20);
        while (slurm.Run("squeue", "-h").Trim().Length > 0 && DateTime.UtcNow < gone) Thread.Sleep(200);
        Assert.Equal("", slurm.Run("squeue", "-h").Trim());

        var rerun = MerliniteBinary.RunWithEnvironment(null, slurm.Environment, "run", Recipe("cancelled", edit: Slow), "--shards", "2", "--executor", "slurm", "-t", "1");
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        Assert.Equal(0, MerliniteBinary.Run("run", Recipe("cancelled-one", edit: Slow), "-t", "1").ExitCode);
        foreach (var f in new[] { "round-0/samples.jsonl", "round-0/rewards.jsonl", "round-1/eval.jsonl" })
            Assert.True(File.ReadAllBytes(Path.Combine(_dir.File("cancelled-one/out"), f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_dir.File("cancelled/out"), f))), $"{f} differs after a cancelled array");
    }

    private string KubernetesRecipe(string name, FakeKubernetes kube) => Recipe(name, $$"""
        cluster:
          executor: kubernetes
          cpus_per_task: 1
          gpus_per_task: 1
          kubernetes: {image: "registry.example/merlinite:1.0", volume_claim: merlinite-runs, mount_path: "{{_dir.Path}}", command: "{{MerliniteBinary.Path}}", namespace: research}
        """);

    [Fact]
    public void A_kubernetes_indexed_job_per_phase_runs_the_shards_and_the_outputs_equal_one_process()
    {
        using var kube = new FakeKubernetes(_dir.File("kube"));
        string whole = _dir.File("one/out"), onKube = _dir.File("on-kube/out");
        Assert.Equal(0, MerliniteBinary.Run("run", Recipe("one"), "-t", "1").ExitCode);
        var r = MerliniteBinary.RunWithEnvironment(null, kube.Environment, "run", KubernetesRecipe("on-kube", kube), "--shards", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("run as 2 shards each (Kubernetes Indexed Jobs)", r.Stdout);
        foreach (var f in Outputs.Except(["report.json", "report.md"]))
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(onKube, f))), $"{f} differs on Kubernetes");

        // One Indexed Job per parallel phase and round (3 rounds x sample, reward, eval), applied in the recipe's namespace.
        Assert.Equal(9, kube.Manifests.Count);
        Assert.Equal(9, kube.Calls.Count(c => c.StartsWith("apply -f ", StringComparison.Ordinal) && c.EndsWith(" -n research", StringComparison.Ordinal)));
        string manifest = File.ReadAllText(Path.Combine(onKube, "kubernetes", "reward-round-1.yaml"));
        var yaml = new YamlDotNet.RepresentationModel.YamlStream();
        yaml.Load(new StringReader(manifest));
        var job = (YamlDotNet.RepresentationModel.YamlMappingNode)yaml.Documents[0].RootNode;
        Assert.Equal("batch/v1", FakeKubernetes.Scalar(job, "apiVersion"));
        Assert.Equal("Job", FakeKubernetes.Scalar(job, "kind"));
        Assert.Equal("research", FakeKubernetes.Scalar(job, "metadata", "namespace"));
        Assert.Matches("^merlinite-reward-r1-[0-9a-f]{8}$", FakeKubernetes.Scalar(job, "metadata", "name"));
        Assert.Equal("Indexed", FakeKubernetes.Scalar(job, "spec", "completionMode"));
        Assert.Equal("2", FakeKubernetes.Scalar(job, "spec", "completions"));
        Assert.Equal("2", FakeKubernetes.Scalar(job, "spec", "parallelism"));
        Assert.Equal("Never", FakeKubernetes.Scalar(job, "spec", "template", "spec", "restartPolicy"));
        var pod = (YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)FakeKubernetes.Node(job, "spec", "template", "spec", "containers"))[0];
        Assert.Equal("registry.example/merlinite:1.0", FakeKubernetes.Scalar(pod, "image"));
        var args = ((YamlDotNet.RepresentationModel.YamlSequenceNode)pod["args"]).Select(a => a.ToString()).ToList();
        Assert.Equal(["run", KubernetesRecipe("on-kube", kube), "-o", onKube, "--phase", "reward", "--round", "1", "--shard", "$(JOB_COMPLETION_INDEX)/2", "-t", "1"], args);
        var env = (YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)pod["env"])[0];
        Assert.Equal("JOB_COMPLETION_INDEX", FakeKubernetes.Scalar(env, "name"));
        Assert.Equal("metadata.annotations['batch.kubernetes.io/job-completion-index']", FakeKubernetes.Scalar(env, "valueFrom", "fieldRef", "fieldPath"));
        Assert.Equal("1", FakeKubernetes.Scalar(pod, "resources", "limits", "nvidia.com/gpu"));
        Assert.Equal("1", FakeKubernetes.Scalar(pod, "resources", "requests", "cpu"));
        var mount = (YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)pod["volumeMounts"])[0];
        Assert.Equal(_dir.Path, FakeKubernetes.Scalar(mount, "mountPath"));
        var volume = (YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)FakeKubernetes.Node(job, "spec", "template", "spec", "volumes"))[0];
        Assert.Equal(FakeKubernetes.Scalar(mount, "name"), FakeKubernetes.Scalar(volume, "name"));
        Assert.Equal("merlinite-runs", FakeKubernetes.Scalar(volume, "persistentVolumeClaim", "claimName"));
    }

    [Fact]
    public void Kubernetes_without_kubectl_or_outside_the_shared_volume_is_one_clear_error()
    {
        using var kube = new FakeKubernetes(_dir.File("kube"));
        var r = MerliniteBinary.RunWithEnvironment(null, new Dictionary<string, string> { ["PATH"] = "/nonexistent" }, "run", KubernetesRecipe("no-kubectl", kube), "--shards", "2");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("kubectl not found", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);

        string outside = Recipe("outside", """
            cluster:
              executor: kubernetes
              kubernetes: {image: x, volume_claim: c, mount_path: /mnt/shared}
            """);
        r = MerliniteBinary.RunWithEnvironment(null, kube.Environment, "run", outside, "--shards", "2");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("is not under cluster.kubernetes.mount_path (/mnt/shared): the pods could not reach it", r.Stderr);
    }

    [Fact]
    public void Cluster_settings_are_checked_whether_from_the_recipe_or_the_flags()
    {
        var r = MerliniteBinary.Run("run", Recipe("bad-cluster", "cluster: {shards: 0, executor: kubernetes}"), "--dry-run");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'cluster.shards': must be between 1 and 10000", r.Stderr);
        Assert.Contains("'cluster.kubernetes.image': is required for the kubernetes executor", r.Stderr);
        Assert.Matches(@"recipe\.yaml:\d+:\d+", r.Stderr);

        r = MerliniteBinary.Run("run", Recipe("flags"), "--shards", "2", "--partition", "gpu");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--partition: is for the slurm executor; the executor here is local", r.Stderr);
        // The same in the recipe is refused by the same check, at its line.
        r = MerliniteBinary.Run("run", Recipe("slurm-keys", "cluster: {executor: local, slurm: {partition: gpu}}"), "--dry-run");
        Assert.Equal(2, r.ExitCode);
        Assert.Matches(@"recipe\.yaml:\d+:\d+: 'cluster\.slurm\.partition': is for the slurm executor; the executor here is local", r.Stderr);
        // A slurm recipe tried here on purpose: --executor local sets its sbatch options aside.
        r = MerliniteBinary.Run("run", Recipe("slurm-here", "cluster: {executor: slurm, slurm: {partition: gpu}}"),
            "--executor", "local", "--dry-run");
        Assert.True(r.ExitCode == 0, r.Stderr);
        r = MerliniteBinary.Run("run", Recipe("flags"), "--shards", "0");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--shards: must be between 1 and 10000", r.Stderr);
        r = MerliniteBinary.Run("run", Recipe("flags"), "--executor", "kubernetes", "--shards", "2");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("cluster.kubernetes.image", r.Stderr);
        Assert.False(Directory.Exists(_dir.File("flags/out/round-0")), "nothing runs after a refused flag");
    }

    [Fact]
    public void The_recipes_cluster_section_shards_the_run_without_flags()
    {
        string whole = _dir.File("one/out"), sharded = _dir.File("from-recipe/out");
        Assert.Equal(0, MerliniteBinary.Run("run", Recipe("one"), "-t", "1").ExitCode);
        var r = MerliniteBinary.Run("run", Recipe("from-recipe", "cluster: {shards: 2}"), "-t", "2");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("sample, reward and held-out eval run as 2 shards each (processes on this machine)", r.Stdout);
        // The recipe differs (its cluster section), so the reports name another recipe hash; every data file is the same.
        foreach (var f in Outputs.Except(["report.json", "report.md"]))
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(sharded, f))), $"{f} differs with the recipe's shards");
    }

    [Fact]
    public void A_shard_killed_mid_phase_is_redone_alone_and_the_run_still_equals_one_process()
    {
        // Two rounds of long samples, one sequence at a time: shard 1 of 2 holds the round's only block and runs for
        // seconds (shard 0 has no block and finishes at once).
        static string Slow(string t)
        {
            Assert.Contains("max_tokens: 16, parallel: 8", t);
            return t.Replace("max_tokens: 16, parallel: 8", "max_tokens: 800, parallel: 1").Replace("rounds: {max: 2}", "rounds: {max: 1}");
        }
        string whole = _dir.File("slow-one/out"), sharded = _dir.File("slow-sharded/out");
        Assert.Equal(0, MerliniteBinary.Run("run", Recipe("slow-one", edit: Slow), "-t", "1").ExitCode);

        var psi = new ProcessStartInfo(MerliniteBinary.Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "run", Recipe("slow-sharded", edit: Slow), "--shards", "2", "-t", "2" }) psi.ArgumentList.Add(a);
        string partial = Path.Combine(sharded, "round-0", "samples.shard-1-of-2.jsonl.partial");
        using (var parent = Process.Start(psi)!)
        {
            _ = parent.StandardOutput.ReadToEndAsync();
            var stderr = parent.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!(File.Exists(partial) && File.ReadAllLines(partial).Length >= 1) && !parent.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(5);
            Assert.False(parent.HasExited, "the run ended before its shard could be killed");
            using (var kill = Process.Start("pkill", ["-KILL", "-f", "--", $"{sharded} --phase sample --round 0 --shard 1/2"])!) kill.WaitForExit();
            Assert.True(parent.WaitForExit(TimeSpan.FromSeconds(60)));
            Assert.NotEqual(0, parent.ExitCode);
            Assert.Contains("shard 1/2 of round 0's sample exited", stderr.Result);
        }
        int kept = File.ReadAllLines(partial).Length;
        Assert.InRange(kept, 1, 11);
        Assert.True(File.Exists(Path.Combine(sharded, "round-0", "samples.shard-0-of-2.jsonl")), "the other shard finished");

        var rerun = MerliniteBinary.Run("run", Recipe("slow-sharded", edit: Slow), "--shards", "2", "-t", "2");
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        foreach (var f in new[] { "round-0/samples.jsonl", "round-0/rewards.jsonl", "round-0/winners.jsonl", "report.json", "report.md" })
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(sharded, f))), $"{f} differs after a killed shard");
    }

    [Fact]
    public void A_shard_alone_needs_its_rounds_prompts_and_a_phase_that_shards()
    {
        var r = MerliniteBinary.Run("run", Recipe("alone"), "--phase", "sample", "--round", "0", "--shard", "0/2");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("the prompt draw of round 0 is not there yet", r.Stderr);
        r = MerliniteBinary.Run("run", Recipe("alone"), "--phase", "reward", "--round", "1", "--shard", "0/2");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("the sample file of round 1 is not there yet", r.Stderr);
        r = MerliniteBinary.Run("run", Recipe("alone"), "--phase", "train", "--round", "0", "--shard", "0/2");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'train' cannot be sharded: the sharded phases are sample, reward, eval", r.Stderr);
        r = MerliniteBinary.Run("run", Recipe("alone"), "--phase", "sample", "--round", "0", "--shard", "2/2");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("K must be 0 to N-1", r.Stderr);
    }

    [Fact]
    public void Out_runs_into_the_folder_given_instead_of_the_recipes_output_dir()
    {
        string recipe = Recipe("elsewhere"), chosen = _dir.File("chosen-run");
        var r = MerliniteBinary.Run("run", recipe, "-o", chosen, "-t", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.All(Outputs, f => Assert.True(File.Exists(Path.Combine(chosen, f)), f));
        Assert.False(Directory.Exists(_dir.File("elsewhere/out")), "output.dir was used despite -o");
        Assert.Contains($"report: {Path.Combine(chosen, "report.md")}", r.Stdout);
        // The plan of a rerun with the same -o keeps everything.
        var plan = MerliniteBinary.Run("run", recipe, "-o", chosen, "--dry-run");
        Assert.Equal(0, plan.ExitCode);
        Assert.Contains($"output: {chosen}", plan.Stdout);
        Assert.DoesNotContain("recompute: ", plan.Stdout);
    }

    [Fact]
    public void A_bad_recipe_lists_its_problems_with_line_and_column_exits_2_and_creates_nothing()
    {
        string out_ = _dir.File("never/out");
        string recipe = Recipe("never");
        File.WriteAllText(recipe, File.ReadAllText(recipe).Replace("n: 4", "n: 0").Replace("beta: 0.5", "beta: -1"));
        var r = MerliniteBinary.Run("run", recipe);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("recipe.yaml:8:", r.Stderr);
        Assert.Contains("'sampling.n': must be between 1 and 255", r.Stderr);
        Assert.Contains("'reward.beta': must be greater than 0", r.Stderr);
        Assert.Contains("2 problems in", r.Stderr);
        Assert.False(Directory.Exists(out_));
    }

    /// <summary>
    /// A recipe edited after a finished run and rerun in the same directory: the run recomputes what the edit changed
    /// (and what was made from it), keeps the rest, and ends byte for byte where a fresh run of the edited recipe ends.
    /// </summary>
    [Theory]
    [InlineData("n", "n: 4,", "n: 3,", "round-0/samples.jsonl: recomputing, n was 4, now 3")]
    [InlineData("beta", "beta: 0.5", "beta: 0.25", "round-0/rewards.jsonl: recomputing, beta was 0.5, now 0.25")]
    [InlineData("lr", "lr: 0.01", "lr: 0.02", "round-0/adapter.gguf: recomputing, lr was 0.01, now 0.02")]
    [InlineData("prompts", "files: [../prompts.jsonl]", "files: [../prompts-edited.jsonl]", "prompts.jsonl: recomputing, prompts.files was")]
    [InlineData("model", "instruct: {path: ../instruct.gguf}", "instruct: {path: ../instruct-2.gguf}", "round-0/rewards.jsonl: recomputing, instruct_model was")]
    public void An_edited_recipe_rerun_in_place_ends_where_a_fresh_run_of_the_edit_does(string what, string from, string to, string logged)
    {
        File.WriteAllLines(_dir.File("prompts-edited.jsonl"), File.ReadAllLines(_dir.File("prompts.jsonl")).Select((l, i) => i == 5 ? l.Replace("Sort: ", "Sort these: ") : l));
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "3", "--out", _dir.File("instruct-2.gguf")).ExitCode);
        string edited = $"edited-{what}", fresh = $"fresh-{what}";
        Assert.Equal(0, MerliniteBinary.Run("run", Recipe(edited), "-t", "1").ExitCode);

        string Edit(string text) { Assert.Contains(from, text); return text.Replace(from, to); }
        var plan = MerliniteBinary.Run("run", Recipe(edited, edit: Edit), "--dry-run");
        Assert.True(plan.ExitCode == 0, plan.Stderr);
        if (what != "prompts") Assert.Contains("keep (up to date)", plan.Stdout); // every draw depends on the prompt file
        Assert.Contains("recompute: ", plan.Stdout);
        var rerun = MerliniteBinary.Run("run", Recipe(edited, edit: Edit), "-t", "1");
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        Assert.Contains(logged, rerun.Stdout);
        if (what is "beta" or "lr" or "model") Assert.DoesNotContain("round-0/samples.jsonl: recomputing", rerun.Stdout);
        DryRunNamesWhatTheRunRemakes(plan.Stdout, rerun.Stdout);
        if (what == "lr") Assert.DoesNotContain("round-0/rewards.jsonl: recomputing", rerun.Stdout);

        Assert.Equal(0, MerliniteBinary.Run("run", Recipe(fresh, edit: Edit), "-t", "1").ExitCode);
        foreach (var f in Outputs)
            Assert.True(File.ReadAllBytes(Path.Combine(_dir.File(fresh), "out", f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_dir.File(edited), "out", f))),
                $"{f} differs from a fresh run after editing {what}");
    }

    /// <summary>Every output the rerun remade is one the dry-run said it would or might remake; every one the dry-run
    /// said it would remake for a setting, the rerun remade, naming the same setting, old and new value.</summary>
    private static void DryRunNamesWhatTheRunRemakes(string dryRun, string rerun)
    {
        const string Marker = ": recomputing, ";
        var listed = dryRun.Split('\n').SkipWhile(l => !l.StartsWith("what a run would do in ", StringComparison.Ordinal))
            .Skip(1).Where(l => l.StartsWith("  ", StringComparison.Ordinal) && !l.StartsWith("  (", StringComparison.Ordinal))
            .Select(l => l.Trim()).Select(l => (Path: l[..l.IndexOf(' ')], What: l[l.IndexOf(' ')..].Trim())).ToList();
        Assert.NotEmpty(listed);
        var remade = rerun.Split('\n').Where(l => l.Contains(Marker, StringComparison.Ordinal))
            .Select(l => (Path: l[..l.IndexOf(Marker, StringComparison.Ordinal)], Why: l[(l.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length)..].Trim()))
            .ToList();
        Assert.NotEmpty(remade);
        foreach (var (path, _) in remade)
            Assert.StartsWith("recompute", Assert.Single(listed, x => x.Path == path).What);
        foreach (var (path, what) in listed.Where(x => x.What.StartsWith("recompute: ", StringComparison.Ordinal)))
            Assert.Contains((path, what["recompute: ".Length..]), remade);
    }

    [Fact]
    public void The_real_recipe_dry_runs_without_its_files_and_names_them()
    {
        var r = MerliniteBinary.Run("run", Path.Combine(MerliniteBinary.RepoRoot, "recipes", "merlinite-7b-pt.yaml"), "--dry-run");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("mixtral-8x7b-instruct-v0.1.Q4_K_M.gguf", r.Stdout);
        Assert.Contains("2 score (instruct)", r.Stdout);
        Assert.Contains("merlinite-7b-pt.yaml:22:11: 'models.policy.base': file not found", r.Stdout);
    }
}
