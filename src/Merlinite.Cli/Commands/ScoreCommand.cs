using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Scoring;

namespace Merlinite.Cli.Commands;

public static class ScoreCommand
{
    private static readonly ScoreSettings D = new();

    public static Command Create()
    {
        var model = Flags.Required<FileInfo>("model", "the GGUF model that scores", "M.gguf");
        var lora = Flags.Optional<string[]>("lora", "LoRA adapter applied to the model, ADAPTER.gguf[:scale] (repeatable)", "ADAPTER[:scale]");
        var input = Flags.Required<FileInfo>("input", "pairs JSONL: {\"id\", \"prompt\", \"response\"}, {\"id\", \"messages\"} (last message = the response), merlinite sample's output (one pair per sample, id PROMPT#k) or preference pairs (ID/chosen, ID/rejected)", "pairs.jsonl");
        var output = Flags.Required<FileInfo>("out", "scores JSONL: {\"id\", \"sum\", \"mean\", \"count\", \"tokens\"} per pair; a rerun resumes it, and refuses it if it was made differently", "scores.jsonl");
        var topLogprobs = Flags.Create("top_logprobs", "also report the k most likely alternatives per response token", D.TopLogprobs, "K");
        var noTokens = Flags.Create("tokens", "only sums, means and counts (smaller output)", !D.Tokens);
        var template = ScoringFlags.Template(D.Template, "how prompts are rendered: merlinite (Merlinite's chat template), model (the GGUF's own, e.g. Mixtral's [INST]), raw (texts as they are)");
        var restart = Restart.Create();
        var flags = new ScoringFlags();

        var cmd = new Command("score", "Teacher-forced per-token log-probs of responses given prompts (log-softmax over the full vocabulary). " +
                                       "Responses that share a prompt share its KV cache. A killed run continues where it stopped.")
        {
            model, lora, input, output, topLogprobs, noTokens, template, restart,
        };
        flags.AddTo(cmd);
        cmd.SetAction((parse, ct) =>
        {
            var settings = new ScoreSettings
            {
                Template = ChatTemplates.Parse(parse.GetValue(template)!), System = parse.GetValue(flags.System),
                TopLogprobs = parse.GetValue(topLogprobs), Tokens = !parse.GetValue(noTokens), Scoring = flags.Read(parse),
            };
            var job = new ScoreJob(flags.Runtime.Model(parse, parse.GetValue(model)!, parse.GetValue(lora)), parse.GetValue(input)!.FullName,
                parse.GetValue(output)!.FullName, settings);
            job.Validate();
            var result = ProgressDisplay.Run($"score {Path.GetFileName(job.Model.Path)}", sink =>
                job.Run(Restart.Rule(parse, restart), p => sink.Report(p.Total == 0 ? 1 : (double)p.Done / p.Total, $"{p.Done}/{p.Total} scored, {p.TokensPerSecond:F0} tokens/s"), ct));
            if (result.UpToDate) Console.Error.WriteLine(Restart.UpToDate(job.Out));
            else ReportErrors(job.Out);
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
        Console.Error.WriteLine($"wrote {scoreFile}" + (failed.Count > 0 ? $" ({Engine.Plural.Of(failed.Count, "item")} with errors)" : ""));
    }
}
