using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Merlinite.Recipes.Running;
using Merlinite.Recipes.Schema;

namespace Merlinite.Cli.Infrastructure;

/// <summary>
/// Shards as a Kubernetes Indexed Job: one manifest per phase and round (kept in RUN_DIR/kubernetes), pod K runs
/// `merlinite run … --phase P --round R --shard K/N` with K from the pod's completion index, all pods mount the shared
/// volume at the path it has here. This process applies the manifest with kubectl, polls the Job's status until it
/// completes or fails, and deletes the Job on Ctrl+C. A failed index is retried alone (backoffLimitPerIndex); a rerun
/// applies the Job again and the shards that finished return at once (their outputs are complete under their records).
/// </summary>
public static class KubernetesShards
{
    /// <param name="threads">-t of each pod when cluster.cpus_per_task is 0 (0: every core the pod sees).</param>
    public static ShardRunner Runner(string recipe, string runDir, ClusterSettings cluster, int threads) => (phase, round, count, progress, ct) =>
    {
        var k = cluster.Kubernetes;
        CheckShared(k.MountPath!, ("the recipe", recipe), ("the run directory", runDir));
        string dir = Path.Combine(runDir, "kubernetes");
        Directory.CreateDirectory(dir);
        string manifest = Path.Combine(dir, $"{phase}-round-{round}.yaml"), name = JobName(runDir, phase, round);
        File.WriteAllText(manifest, Manifest(recipe, runDir, cluster, threads, phase, round, count));
        string[] ns = k.Namespace is { } n ? ["-n", n] : [];
        // A Job's pod template cannot change in place: the one an interrupted run left goes first.
        Kubectl(["delete", "job", name, "--ignore-not-found", "--wait=true", .. ns]);
        Kubectl(["apply", "-f", manifest, .. ns]);
        using (ct.Register(() => TryKubectl(["delete", "job", name, "--wait=false", .. ns])))
        {
            ShardStates? last = null;
            while (!ct.IsCancellationRequested)
            {
                var status = JsonNode.Parse(Kubectl(["get", "job", name, "-o", "json", .. ns]))?["status"];
                int done = Int(status?["succeeded"]), running = Int(status?["active"]), failed = Int(status?["failed"]);
                var states = new ShardStates(done, running, Math.Max(0, count - done - running - failed), failed);
                if (states != last) progress(states);
                last = states;
                if (Condition(status, "Complete")) return;
                if (Condition(status, "Failed"))
                    throw new InvalidOperationException($"Kubernetes job {name} failed (shards {status?["failedIndexes"]?.GetValue<string>() ?? "?"} of {count}); " +
                        $"see kubectl logs -l job-name={name}; run again to retry the shards that did not finish");
                Thread.Sleep(2000);
            }
        }
        ct.ThrowIfCancellationRequested();
    };

    /// <summary>The Indexed Job: what a Kubernetes user would write by hand, every string quoted.</summary>
    public static string Manifest(string recipe, string runDir, ClusterSettings cluster, int threads, string phase, int round, int count)
    {
        var k = cluster.Kubernetes;
        int cpus = cluster.CpusPerTask > 0 ? cluster.CpusPerTask : threads;
        var inv = CultureInfo.InvariantCulture;
        // The index comes from the pod's completion-index annotation through the downward API, declared here so that
        // $(JOB_COMPLETION_INDEX) in args expands on every Kubernetes version.
        var args = ShardCommand.Arguments(recipe, runDir, phase, round, $"$(JOB_COMPLETION_INDEX)/{count}", cpus);
        var sb = new StringBuilder();
        sb.Append(inv, $"# merlinite run: round {round}'s {phase} phase of {runDir} as {count} shards. kubectl apply -f this file.\n");
        sb.Append("apiVersion: batch/v1\nkind: Job\nmetadata:\n");
        sb.Append(inv, $"  name: {JobName(runDir, phase, round)}\n");
        if (k.Namespace is { } ns) sb.Append(inv, $"  namespace: {Q(ns)}\n");
        sb.Append(inv, $"  labels:\n    app.kubernetes.io/name: merlinite\n    app.kubernetes.io/component: {phase}\n    merlinite/round: \"{round}\"\n");
        sb.Append("spec:\n  completionMode: Indexed\n");
        sb.Append(inv, $"  completions: {count}\n  parallelism: {count}\n");
        // A shard retried alone up to twice; not for a usage error (exit 2), and a preempted pod does not count.
        sb.Append("  backoffLimitPerIndex: 2\n  podFailurePolicy:\n    rules:\n");
        sb.Append("      - action: FailIndex\n        onExitCodes:\n          containerName: shard\n          operator: In\n          values: [2]\n");
        sb.Append("      - action: Ignore\n        onPodConditions:\n          - type: DisruptionTarget\n");
        sb.Append("  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: merlinite\n");
        sb.Append("    spec:\n      restartPolicy: Never\n      containers:\n        - name: shard\n");
        sb.Append(inv, $"          image: {Q(k.Image!)}\n");
        sb.Append(inv, $"          command: [{Q(k.Command)}]\n");
        sb.Append("          args: [").AppendJoin(", ", args.Select(Q)).Append("]\n");
        sb.Append("          env:\n            - name: JOB_COMPLETION_INDEX\n              valueFrom:\n                fieldRef:\n");
        sb.Append("                  fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']\n");
        if (cpus > 0 || cluster.GpusPerTask > 0)
        {
            sb.Append("          resources:\n");
            if (cpus > 0) sb.Append(inv, $"            requests:\n              cpu: \"{cpus}\"\n");
            if (cluster.GpusPerTask > 0) sb.Append(inv, $"            limits:\n              nvidia.com/gpu: {cluster.GpusPerTask}\n");
        }
        sb.Append("          volumeMounts:\n            - name: shared\n");
        sb.Append(inv, $"              mountPath: {Q(k.MountPath!)}\n");
        sb.Append("      volumes:\n        - name: shared\n          persistentVolumeClaim:\n");
        sb.Append(inv, $"            claimName: {Q(k.VolumeClaim!)}\n");
        return sb.ToString();
    }

    /// <summary>A DNS-1123 name, the same for a run directory's phase and round on every rerun, distinct between runs.</summary>
    public static string JobName(string runDir, string phase, int round)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(runDir))))[..8];
        return $"merlinite-{phase}-r{round.ToString(CultureInfo.InvariantCulture)}-{hash}";
    }

    // The pods see the shared volume at mount_path; what they read and write must be on it, at the same paths as here.
    private static void CheckShared(string mount, params (string What, string Path)[] paths)
    {
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mount)) + "/";
        foreach (var (what, path) in paths)
            if (!Path.GetFullPath(path).StartsWith(root, StringComparison.Ordinal))
                throw new InvalidOperationException($"{what} ({Path.GetFullPath(path)}) is not under cluster.kubernetes.mount_path ({mount}): the pods could not reach it");
    }

    // A YAML double-quoted scalar (the JSON string escapes are valid YAML).
    private static string Q(string s) => JsonValue.Create(s).ToJsonString(Merlinite.Engine.Data.JsonStyle.Compact);

    private static int Int(JsonNode? n) => n is JsonValue v && v.TryGetValue(out int i) ? i : 0;

    private static bool Condition(JsonNode? status, string type) =>
        status?["conditions"] is JsonArray conditions && conditions.Any(c => c?["type"]?.GetValue<string>() == type && c?["status"]?.GetValue<string>() == "True");

    private const string Missing = "install it and point it at the cluster (KUBECONFIG), or apply the manifests in the run directory's kubernetes/ folder yourself";

    private static string Kubectl(string[] args) => ExternalTool.Run(["kubectl", .. args], Missing);

    private static (int Code, string Output) TryKubectl(string[] args) => ExternalTool.TryRun(["kubectl", .. args], Missing);
}
