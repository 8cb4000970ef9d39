using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Sampling;
using Merlinite.Engine.Models;

namespace Merlinite.Cli.Commands;

public static class SampleCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "the policy GGUF model", Required = true, HelpName = "M.gguf" };
        var lora = new Option<string[]>("--lora") { Description = "LoRA adapter applied to the policy, ADAPTER.gguf[:scale] (repeatable)", HelpName = "ADAPTER[:scale]" };
        var prompts = new Option<FileInfo>("--prompts") { Description = "JSONL prompts: {\"id\", \"prompt\"} or {\"id\", \"messages\"}; an optional \"source\" is copied to the output", Required = true, HelpName = "prompts.jsonl" };
        var output = new Option<FileInfo>("--out", "-o") { Description = "JSONL output, one line per prompt with its N samples; resumable (prompts already there are skipped)", Required = true, HelpName = "samples.jsonl" };
        var n = new Option<int>("--n") { Description = "samples per prompt", DefaultValueFactory = _ => 8 };
        var parallel = new Option<int>("--parallel", "-np") { Description = "samples generated together (one llama_decode advances them all)", DefaultValueFactory = _ => 16 };
        var stop = new Option<string[]>("--stop") { Description = "a string that ends a sample; it is cut from the text (repeatable)", HelpName = "TEXT" };
        var system = new Option<string?>("--system") { Description = "system prompt for plain \"prompt\" lines (default: the Merlinite model card's; \"\" for none)" };
        var template = new Option<string>("--template") { Description = "merlinite: Merlinite's chat template; raw: the prompt text as it is", DefaultValueFactory = _ => "merlinite" };
        template.AcceptOnlyFromAmong("merlinite", "raw");
        var fast = new Option<bool>("--fast-attn") { Description = "llama.cpp's defaults (F16 KV cache, flash attention): half the KV memory, but samples then depend on --parallel and on how a resumed run is batched; the default is an F32 cache without flash attention, whose samples did not (docs/benchmarks.md)" };
        var runtime = new RuntimeFlags(defaultContext: 8192);
        var sampling = new SamplingFlags();

        var cmd = new Command("sample",
            "Best-of-N sampling: N samples per prompt from the policy, many sequences per llama_decode, each prompt decoded " +
            "once and shared. Sample k of prompt p is seeded from (--seed, p's id, k), so it does not depend on --parallel. " +
            "A killed run, rerun with the same command, continues after the last complete prompt.")
        {
            model, lora, prompts, output, n, parallel, stop, system, template, fast,
        };
        runtime.AddTo(cmd);
        sampling.AddTo(cmd);
        cmd.SetAction((parse, ct) =>
        {
            int N = parse.GetValue(n), par = parse.GetValue(parallel);
            if (N < 1) throw new UsageException($"--n must be >= 1 (got {N})");
            if (par is < 1 or > 255) throw new UsageException($"--parallel must be in 1..255 (got {par})");
            var options = new BestOfNOptions { Sampling = sampling.Read(parse), N = N, Stops = parse.GetValue(stop) ?? [] };
            var input = parse.GetValue(prompts)!;
            if (!input.Exists) throw new UsageException($"prompts file not found: {input.FullName}");
            var items = PromptFile.Read(input.FullName, parse.GetValue(system) ?? MerliniteTemplate.DefaultSystemPrompt);
            var load = runtime.Read(parse, parse.GetValue(model)!) with
            {
                Loras = (parse.GetValue(lora) ?? []).Select(ModelOptions.ParseLora).ToArray(),
                Sequences = BestOfNSampler.SequencesFor(par),
                BatchSize = Math.Max(512, par),
                ExactAttention = !parse.GetValue(fast),
            };

            using var loaded = LoadedModel.Load(load);
            var outPath = parse.GetValue(output)!.FullName;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long tokens = 0;
            ProgressDisplay.Run($"sample {items.Count} prompts x {N}", sink =>
            {
                SampleFileRunner.Run(loaded, options, items, parse.GetValue(template) == "raw", outPath, p =>
                {
                    tokens = p.Tokens;
                    sink.Report(p.PromptsTotal == 0 ? 1 : (double)p.PromptsDone / p.PromptsTotal,
                        $"{p.PromptsDone}/{p.PromptsTotal} prompts, {p.Live} live, {p.TokensPerSecond:F0} tok/s");
                }, ct);
                return 0;
            });
            Console.Error.WriteLine($"wrote {outPath} ({tokens} tokens generated in {clock.Elapsed.TotalSeconds:F1} s)");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
