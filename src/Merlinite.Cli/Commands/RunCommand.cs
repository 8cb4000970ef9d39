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
        var dryRun = new Option<bool>("--dry-run") { Description = "validate and print the plan (rounds, phases, models, memory per phase); run nothing" };
        var force = new Option<bool>("--force") { Description = "continue a run directory even though the recipe changed since it was started" };
        var threads = new Option<int>("--threads", "-t") { Description = "CPU threads for every phase (0 = one per core)", DefaultValueFactory = _ => 0 };
        var cmd = new Command("run",
            "Run a rejection-sampling recipe: per round sample N answers per prompt, score them with the DPO log-ratio reward, keep " +
            "the best, LoRA-fine-tune the policy on the winners. Resumable: rerun the same command after a kill and it continues.")
        {
            recipe, dryRun, force, threads,
        };
        cmd.SetAction((parse, ct) =>
        {
            var file = parse.GetValue(recipe)!;
            if (!file.Exists) throw new UsageException($"recipe not found: {file.FullName}");
            bool dry = parse.GetValue(dryRun);
            LoadedRecipe loaded;
            try { loaded = RecipeLoader.Load(file.FullName, allowMissingFiles: dry); }
            catch (RecipeException e)
            {
                foreach (var p in e.Problems) Console.Error.WriteLine(p);
                Console.Error.WriteLine($"{e.Problems.Count} problem(s) in {file.FullName}; nothing was run");
                return Task.FromResult(ExitCodes.UsageError);
            }
            if (dry)
            {
                Console.Write(RecipePlan.Describe(loaded));
                return Task.FromResult(loaded.MissingFiles.Count > 0 ? ExitCodes.UsageError : ExitCodes.Ok);
            }

            var runner = new RecipeRunner(loaded, parse.GetValue(threads),
                ProgressDisplay.Phase, Console.Out);
            var rounds = runner.Run(parse.GetValue(force), ct);
            int peak = RunReport.PeakRound(rounds);
            Console.WriteLine($"peak round {peak}; report: {Path.Combine(loaded.Recipe.Output.Dir, "report.md")}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
