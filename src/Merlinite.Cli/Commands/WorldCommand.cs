using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Recipes.World;

namespace Merlinite.Cli.Commands;

/// <summary>merlinite world tiny: build the miniature setting recipes/tiny.yaml runs in (no downloads).</summary>
public static class WorldCommand
{
    public static Command Create() => new("world", "Build self-contained worlds for recipes (models and prompts made from scratch).") { CreateTiny() };

    private static Command CreateTiny()
    {
        var output = new Option<DirectoryInfo>("--out", "-o") { Description = "folder for base.gguf, instruct.gguf and prompts.jsonl", Required = true, HelpName = "DIR" };
        var threads = Flags.Threads();
        var seed = new Option<ulong>("--seed") { Description = "seed of the random model and the data", DefaultValueFactory = _ => new TinyWorldOptions().Seed };
        var reproducible = Flags.Reproducible(defaultValue: true);
        var noLab = new Option<bool>("--no-lab") { Description = "skip the LAB part (taxonomy, prompts and the teacher, about 2 min of training on 2 cores); recipes/lab-tiny.yaml needs it, recipes/tiny.yaml does not" };
        var cmd = new Command("tiny",
            "Synthesize a small random model, pre-train it (LoRA, merged) on digit instructions answered right about half of the time " +
            "(the base = reference = starting policy), then tune it on right answers only (the instruct reward model); also the world's " +
            "benchmarks and judge, and for LAB a taxonomy of the digit skills with a teacher tuned to write, rate and answer questions. " +
            "Steps already done are skipped.")
        {
            output, threads, seed, noLab, reproducible,
        };
        cmd.SetAction((parse, ct) =>
        {
            string dir = parse.GetValue(output)!.FullName;
            TinyWorldBuilder.Build(dir, new TinyWorldOptions { Seed = parse.GetValue(seed), Lab = !parse.GetValue(noLab) }, parse.GetValue(threads),
                ProgressDisplay.Phase, Console.Error, ct);
            Console.WriteLine($"tiny world in {dir}: {TinyWorldBuilder.BaseFile}, {TinyWorldBuilder.InstructFile}, {TinyWorldBuilder.PromptsFile}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
