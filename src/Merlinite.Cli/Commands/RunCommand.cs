using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Recipes;
using Merlinite.Recipes.Running;
using Merlinite.Recipes.Schema;

namespace Merlinite.Cli.Commands;

/// <summary>merlinite run RECIPE: validate a YAML recipe, then run (or with --dry-run, describe) its rounds.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var recipe = new Argument<FileInfo>("RECIPE") { Description = "the YAML recipe (see recipes/)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "validate and print the plan (rounds, phases, models, memory per phase) and, for an existing run directory, what a run would keep, resume and recompute, and why; run nothing" };
        var threads = Flags.Threads("CPU threads for every phase (0 = one per core)");
        var output = Flags.Optional<string?>("out", "the run directory, instead of the recipe's output.dir (relative to the current folder)", "DIR");
        var cluster = new ClusterFlags();
        var reproducible = Flags.Reproducible();
        var vram = Flags.Optional<double?>("vram", "GPU memory in GiB each phase may take (the recipe's vram:; 0 = the GPUs' free memory minus 1 GiB); every model with gpu_layers: auto is placed to fit it, and a round that cannot fit is refused before anything loads", "GiB");
        var phase = new Option<string?>("--phase") { Description = "with --round and --shard: run only this shard of this phase (what a shard process or cluster task runs): " + string.Join(", ", RunPhases.ShardablePhases), HelpName = "PHASE" };
        var round = new Option<int?>("--round") { Description = "the round of --phase", HelpName = "R" };
        var shard = new Option<string?>("--shard") { Description = "K/N: shard K (from 0) of N, with --phase and --round", HelpName = "K/N" };
        var cmd = new Command("run",
            "Run a rejection-sampling recipe: per round sample N answers per prompt, score them with the DPO log-ratio reward, keep " +
            "the best, LoRA-fine-tune the policy on the winners. Works like a build: a rerun keeps every output that is still what the " +
            "recipe asks for, resumes what a kill interrupted, and recomputes what an edited recipe, prompt file or model changed.")
        {
            recipe, dryRun, threads, output, phase, round, shard, reproducible, vram,
        };
        foreach (var o in cluster.Options) cmd.Add(o);
        cmd.SetAction((parse, ct) =>
        {
            var file = parse.GetValue(recipe)!;
            bool dry = parse.GetValue(dryRun);
            LoadedRecipe loaded;
            try { loaded = RecipeLoader.Load(file.FullName, allowMissingFiles: dry, outputDir: parse.GetValue(output)); }
            catch (RecipeException e)
            {
                foreach (var p in e.Problems) Console.Error.WriteLine(p);
                Console.Error.WriteLine($"{Engine.Plural.Of(e.Problems.Count, "problem")} in {file.FullName}; nothing was run");
                return Task.FromResult(ExitCodes.UsageError);
            }
            catch (FileNotFoundException e) { throw new UsageException(e.Message); }
            // A recipe's `reproducible: true` (CliApp turned the mode on already for --reproducible).
            if (loaded.Recipe.Reproducible) Engine.Reproducibility.ReproducibleMode.TurnOn();
            // Refused before round 0 samples anything, not when its training starts.
            if (Engine.Reproducibility.ReproducibleMode.DeviceProblem(loaded.Recipe.Sft.Train.Device) is { } device)
                throw new UsageException($"sft.device {device}");
            if (parse.GetValue(vram) is double v)
            {
                if (v is < 0 or >= 1 << 20) throw new UsageException($"--vram must be 0 (the free GPU memory) or a size in GiB (got {v})");
                loaded.Recipe.SetVram(v);
            }
            var plan = Recipes.Planning.RoundPlan.For(loaded.Recipe);
            if (dry)
            {
                Console.Write(RecipePlan.Describe(loaded, plan));
                bool refused = plan.Refused.Any();
                return Task.FromResult(loaded.MissingFiles.Count > 0 || refused ? ExitCodes.UsageError : ExitCodes.Ok);
            }
            // A round that cannot fit is refused before any model loads, not when its phase comes.
            if (parse.GetValue(phase) is null && plan.Refused.ToList() is { Count: > 0 } refusedPhases)
                throw new UsageException(string.Join("\n", refusedPhases.Select(p => $"phase {p.Name} does not fit: {p.Problem}")) +
                    "\n(run --dry-run prints the whole plan)");

            int t = parse.GetValue(threads);
            if (t < 0) throw new UsageException($"--threads must be at least 0 (got {t})");
            if (parse.GetValue(phase) is { } onePhase)
            {
                if (parse.GetValue(round) is not int r || r < 0 || parse.GetValue(shard) is not { } k)
                    throw new UsageException("--phase needs --round R (0 or more) and --shard K/N");
                new RunPhases(loaded.Recipe, new RunLayout(loaded.Recipe.Output.Dir), t).RunShard(onePhase, r, Engine.Jobs.Shard.Parse(k), ct);
                return Task.FromResult(ExitCodes.Ok);
            }
            if (parse.GetValue(round) is not null || parse.GetValue(shard) is not null) throw new UsageException("--round and --shard go with --phase");
            var settings = cluster.Apply(parse, loaded.Recipe.Cluster);
            var runner = new RecipeRunner(loaded, t, ProgressDisplay.Phase, Console.Out)
            {
                Sharding = ShardExecutors.For(settings, file.FullName, loaded.Recipe.Output.Dir, t),
            };
            if (runner.Sharding is { } sh)
                Console.WriteLine($"sample, reward and held-out eval run as {sh.Count} shards each ({settings.Executor switch
                {
                    ShardExecutor.Slurm => "Slurm array jobs",
                    ShardExecutor.Kubernetes => "Kubernetes Indexed Jobs",
                    _ => "processes on this machine",
                }}); the outputs are those of one process");
            var rounds = runner.Run(ct);
            Console.WriteLine($"peak round {RunReport.PeakRound(rounds)}; report: {new RunLayout(loaded.Recipe.Output.Dir).ReportMarkdown}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
