using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Jobs;

namespace Merlinite.Cli.Commands;

public static class SampleCommand
{
    private static readonly SampleSettings D = new();

    public static Command Create()
    {
        var model = Flags.Required<FileInfo>("model", "the policy GGUF model", "M.gguf");
        var lora = Flags.Optional<string[]>("lora", "LoRA adapter applied to the policy, ADAPTER.gguf[:scale] (repeatable)", "ADAPTER[:scale]");
        var input = Flags.Required<FileInfo>("input", "JSONL prompts: {\"id\", \"prompt\"} or {\"id\", \"messages\"}; an optional \"source\" is copied to the output", "prompts.jsonl");
        var output = Flags.Required<FileInfo>("out", "JSONL output, one line per prompt with its N samples; a rerun resumes it, and refuses it if it was made differently", "samples.jsonl");
        var n = Flags.Create("n", "samples per prompt", D.N, "N");
        var parallel = Flags.Create("parallel", "samples generated together (one llama_decode advances them all)", D.Parallel, "N");
        var stop = Flags.Optional<string[]>("stop", "a string that ends a sample; it is cut from the text (repeatable)", "TEXT");
        var system = Flags.Optional<string?>("system", "system prompt for plain \"prompt\" lines (default: the Merlinite model card's with --template merlinite; \"\" for none)");
        var template = ScoringFlags.Template(D.Template, "merlinite: Merlinite's chat template; model: the GGUF's own; raw: the prompt text as it is");
        var restart = Restart.Create();
        var runtime = new RuntimeFlags();
        var sampling = new SamplingFlags();

        var cmd = new Command("sample",
            "Best-of-N sampling: N samples per prompt from the policy, many sequences per llama_decode, each prompt decoded " +
            "once and shared. Sample k of prompt p is seeded from (--seed, p's id, k), so it does not depend on --parallel. " +
            "A killed run, rerun with the same command, continues after the last complete prompt.")
        {
            model, lora, input, output, n, parallel, stop, system, template, restart,
        };
        runtime.AddTo(cmd);
        sampling.AddTo(cmd);
        cmd.SetAction((parse, ct) =>
        {
            var settings = new SampleSettings
            {
                N = parse.GetValue(n), Sampling = sampling.Read(parse), Stop = parse.GetValue(stop) ?? [], Parallel = parse.GetValue(parallel),
                Template = ChatTemplates.Parse(parse.GetValue(template)!), System = parse.GetValue(system), Runtime = runtime.Read(parse),
            };
            var job = new SampleJob(runtime.Model(parse, parse.GetValue(model)!, parse.GetValue(lora)), parse.GetValue(input)!.FullName,
                parse.GetValue(output)!.FullName, settings);
            job.Validate();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = ProgressDisplay.Run($"sample {Path.GetFileName(job.Input)} x {settings.N}", sink =>
                job.Run(Restart.Rule(parse, restart), p => sink.Report(p.PromptsTotal == 0 ? 1 : (double)p.PromptsDone / p.PromptsTotal,
                    $"{p.PromptsDone}/{p.PromptsTotal} prompts, {p.Live} answers being written, {p.TokensPerSecond:F0} tokens/s"), ct));
            Console.Error.WriteLine(result.UpToDate ? Restart.UpToDate(job.Out)
                : $"wrote {job.Out} ({result.Tokens} tokens generated in {clock.Elapsed.TotalSeconds:F1} s)");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
