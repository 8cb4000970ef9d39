using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Data;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;

namespace Merlinite.Cli.Commands;

public static class ScoreCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model", "-m") { Description = "the GGUF model that scores", Required = true, HelpName = "M.gguf" };
        var input = new Option<FileInfo>("--input", "-i") { Description = "pairs JSONL: {\"id\", \"prompt\", \"response\"} or {\"id\", \"messages\"} (last message = the response)", Required = true, HelpName = "pairs.jsonl" };
        var output = new Option<FileInfo>("--out", "-o") { Description = "scores JSONL: {\"id\", \"sum\", \"mean\", \"count\", \"tokens\"} per pair; resumable (ids already there are skipped)", Required = true, HelpName = "scores.jsonl" };
        var topK = new Option<int>("--top-k") { Description = "also report the k most likely alternatives per response token", DefaultValueFactory = _ => 0 };
        var noTokens = new Option<bool>("--no-tokens") { Description = "only sums, means and counts (smaller output)" };
        var lora = new Option<string[]>("--lora") { Description = "LoRA adapter applied to the model, ADAPTER.gguf[:scale] (repeatable)", HelpName = "ADAPTER[:scale]" };
        var flags = new ScoringFlags();

        var cmd = new Command("score", "Teacher-forced per-token log-probs of responses given prompts (log-softmax over the full vocabulary). " +
                                       "Responses that share a prompt share its KV cache. A killed run continues where it stopped.")
        {
            model, input, output, topK, noTokens, lora,
        };
        flags.AddTo(cmd);
        cmd.SetAction((parse, ct) =>
        {
            int k = parse.GetValue(topK);
            if (k < 0) throw new UsageException($"--top-k must be >= 0 (got {k})");
            var inFile = parse.GetValue(input)!;
            if (!inFile.Exists) throw new UsageException($"input file not found: {inFile.FullName}");
            var pairs = PairFile.ReadScorePairs(inFile.FullName, flags.SystemPrompt(parse));
            using var loaded = LoadedModel.Load(flags.LoadOptions(parse, parse.GetValue(model)!) with
            {
                Loras = (parse.GetValue(lora) ?? []).Select(ModelOptions.ParseLora).ToArray(),
            });
            var template = new ScoreTemplate(loaded, flags.TemplateKind(parse), flags.AppendEos(parse));
            var items = pairs.Select(p => template.Build(p.Id, p.Prompt, p.Response)).ToList();
            var outPath = parse.GetValue(output)!.FullName;
            ScoreProgressDisplay.Run($"score {Path.GetFileName(loaded.Options.Path)}", sink =>
                ScoreFileRunner.Run(loaded, flags.ScorerOptions(parse, k), items, outPath, !parse.GetValue(noTokens), sink, ct));
            ReportErrors(outPath);
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    /// <summary>Per-item failures don't stop a run, but they must not pass unnoticed.</summary>
    internal static void ReportErrors(string scoreFile)
    {
        var failed = ScoreJson.ReadSummaries(scoreFile).Where(kv => kv.Value.Error is not null).ToList();
        foreach (var (id, s) in failed.Take(5)) Console.Error.WriteLine($"warning: {id}: {s.Error}");
        if (failed.Count > 5) Console.Error.WriteLine($"warning: ... and {failed.Count - 5} more items could not be scored");
        Console.Error.WriteLine($"wrote {scoreFile}" + (failed.Count > 0 ? $" ({failed.Count} item(s) with errors)" : ""));
    }
}
