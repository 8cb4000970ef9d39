using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Scoring;

namespace Merlinite.Cli.Commands;

public static class RewardCommand
{
    private static readonly RewardSettings D = new();

    /// <summary>The flags `reward` and `reward eval` share, and the job they build.</summary>
    private sealed class RewardFlags
    {
        public Option<FileInfo> Instruct { get; } = Flags.Required<FileInfo>("instruct_model", "the instruct (reward) model, e.g. Mixtral-8x7B-Instruct: the model whose preferences count", "INSTRUCT.gguf");
        public Option<FileInfo> Reference { get; } = Flags.Required<FileInfo>("reference_model", "the reference model, e.g. Mixtral-8x7B-v0.1: the base the instruct model was tuned from", "REF.gguf");
        public Option<double> Beta { get; } = Flags.Create("beta", "β in r = β·(log π_instruct − log π_reference)", D.Beta, "B");
        public Option<string> Norm { get; } = Flags.Create("norm", "sum: summed response log-probs (RewardBench's DPO reward); mean: per-token average (less length bias)", D.Norm.ToString().ToLowerInvariant());
        public Option<string> Template { get; } = ScoringFlags.Template(D.Template,
            "how both models see the conversation: model (the instruct model's own template, applied once: RewardBench's way, the default), merlinite, raw");
        public Option<bool> Restart { get; } = Infrastructure.Restart.Create();
        public ScoringFlags Scoring { get; } = new();

        public RewardFlags() => Norm.AcceptOnlyFromAmong("sum", "mean");

        public void AddTo(Command c)
        {
            c.Add(Instruct); c.Add(Reference); c.Add(Beta); c.Add(Norm); c.Add(Template); c.Add(Restart);
            Scoring.AddTo(c);
        }

        public RewardJob Job(ParseResult p, string input, string output)
        {
            var settings = new RewardSettings
            {
                Beta = p.GetValue(Beta), Norm = p.GetValue(Norm) == "mean" ? RewardNorm.Mean : RewardNorm.Sum,
                Template = ChatTemplates.Parse(p.GetValue(Template)!), System = p.GetValue(Scoring.System), Scoring = Scoring.Read(p),
            };
            var job = new RewardJob(Scoring.Runtime.Model(p, p.GetValue(Instruct)!), Scoring.Runtime.Model(p, p.GetValue(Reference)!), input, output, settings);
            job.Validate();
            return job;
        }

        public (IReadOnlyList<RewardResult> Rewards, JobResult Result) Run(ParseResult p, RewardJob job, CancellationToken ct) =>
            ProgressDisplay.Run("reward", sink => job.Run(Infrastructure.Restart.Rule(p, Restart),
                (model, s) => sink.Report((model == "instruct" ? 0 : 0.5) + 0.5 * s.Done / Math.Max(1, s.Total), $"{model} model: {s.Done}/{s.Total} answers scored, {s.TokensPerSecond:F0} tokens/s"), ct));
    }

    public static Command Create()
    {
        var flags = new RewardFlags();
        var input = Flags.Required<FileInfo>("input", "pairs JSONL, as for merlinite score (merlinite sample's output included)", "pairs.jsonl");
        var output = Flags.Required<FileInfo>("out", "rewards JSONL: {\"id\", \"reward\", \"instruct_logprob\", \"reference_logprob\", \"count\"}; each model's scores go beside it (OUT.instruct-scores.jsonl, OUT.reference-scores.jsonl)", "rewards.jsonl");
        var cmd = new Command("reward", "DPO log-ratio reward r = β·[log π_instruct(y|x) − log π_reference(y|x)] (Merlinite used Mixtral-8x7B-Instruct vs Mixtral-8x7B). " +
                                        "Scores everything with one model, frees it, then the other; resumable per model.")
        {
            input, output,
        };
        flags.AddTo(cmd);
        cmd.SetAction((parse, ct) =>
        {
            var job = flags.Job(parse, parse.GetValue(input)!.FullName, parse.GetValue(output)!.FullName);
            var (rewards, result) = flags.Run(parse, job, ct);
            int failed = rewards.Count(r => !r.Ok);
            Console.Error.WriteLine(result.UpToDate ? Restart.UpToDate(job.Out)
                : $"wrote {Engine.Plural.Of(rewards.Count, "reward")} to {job.Out}" + (failed > 0 ? $" ({failed} with errors)" : ""));
            return Task.FromResult(ExitCodes.Ok);
        });
        cmd.Add(CreateEval());
        return cmd;
    }

    private static Command CreateEval()
    {
        var flags = new RewardFlags();
        var input = Flags.Required<FileInfo>("input", "preference JSONL: {\"id\"?, \"prompt\", \"chosen\", \"rejected\", \"subset\"?}", "prefs.jsonl");
        var output = Flags.Optional<FileInfo?>("out", "where the rewards of every chosen and rejected answer go (default: PREFS.rewards.jsonl beside the input)", "rewards.jsonl");
        var json = new Option<bool>("--json") { Description = "print the accuracies as JSON instead of a table" };
        var cmd = new Command("eval", "RewardBench-style accuracy of the reward: the share of pairs where reward(chosen) > reward(rejected), per subset and overall.")
        {
            input, output, json,
        };
        flags.AddTo(cmd);
        cmd.SetAction((parse, ct) =>
        {
            string prefs = parse.GetValue(input)!.FullName;
            string rewardsFile = parse.GetValue(output)?.FullName ?? Path.ChangeExtension(prefs, null) + ".rewards.jsonl";
            var job = flags.Job(parse, prefs, rewardsFile);
            var pairs = PairFile.ReadPreferencePairs(prefs, ChatTemplates.SystemPrompt(job.Settings.Template, job.Settings.System));
            var (rewards, _) = flags.Run(parse, job, ct);
            var report = RewardAccuracy.Compute(pairs, rewards);
            Console.Out.Write(parse.GetValue(json) ? report.ToJson() : report.ToTable());
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }
}
