using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Data;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;

namespace Merlinite.Cli.Commands;

public static class RewardCommand
{
    private sealed class RewardFlags
    {
        public Option<FileInfo> Policy { get; } = new("--policy-model") { Description = "π_policy, e.g. Mixtral-8x7B-Instruct (the model whose preferences count)", Required = true, HelpName = "CHOSEN.gguf" };
        public Option<FileInfo> Reference { get; } = new("--ref-model") { Description = "π_ref, e.g. Mixtral-8x7B-v0.1 (the base the policy was tuned from)", Required = true, HelpName = "REF.gguf" };
        public Option<double> Beta { get; } = new("--beta") { Description = "β in r = β·(log π_policy − log π_ref)", DefaultValueFactory = _ => 0.1 };
        public Option<string> Norm { get; } = new("--norm") { Description = "sum: summed response log-probs (RewardBench's DPO reward); mean: per-token average (less length bias)", DefaultValueFactory = _ => "sum" };
        public Option<bool> KeepBoth { get; } = new("--keep-both") { Description = "keep the policy model loaded while the reference scores (needs memory for both)" };
        public ScoringFlags Scoring { get; } = new();

        public RewardFlags() => Norm.AcceptOnlyFromAmong("sum", "mean");

        public void AddTo(Command c)
        {
            c.Add(Policy); c.Add(Reference); c.Add(Beta); c.Add(Norm); c.Add(KeepBoth);
            Scoring.AddTo(c);
        }

        public RewardSettings Settings(ParseResult p)
        {
            double beta = p.GetValue(Beta);
            if (!(beta > 0)) throw new UsageException($"--beta must be > 0 (got {beta.ToString(CultureInfo.InvariantCulture)})");
            return new RewardSettings(beta, p.GetValue(Norm) == "mean" ? RewardNorm.Mean : RewardNorm.Sum, p.GetValue(KeepBoth));
        }

        public IReadOnlyList<RewardResult> Run(ParseResult p, Func<LoadedModel, IReadOnlyList<ScoreItem>> buildItems, string workPrefix, CancellationToken ct)
        {
            var settings = Settings(p);
            var policy = Scoring.LoadOptions(p, p.GetValue(Policy)!);
            var reference = Scoring.LoadOptions(p, p.GetValue(Reference)!);
            IReadOnlyList<RewardResult> results = [];
            ProgressDisplay.Run("reward", sink =>
            {
                results = RewardPipeline.Run(policy, reference, buildItems, Scoring.ScorerOptions(p, 0), settings, workPrefix,
                    (phase, s) => sink.Report((phase == "policy" ? 0 : 0.5) + 0.5 * s.Done / Math.Max(1, s.Total), $"{phase} {s.Done}/{s.Total} ({s.TokensPerSecond:F0} tok/s)"), ct);
                return 0;
            });
            return results;
        }
    }

    public static Command Create()
    {
        var flags = new RewardFlags();
        var input = new Option<FileInfo>("--input", "-i") { Description = "pairs JSONL, as for merlinite score", Required = true, HelpName = "pairs.jsonl" };
        var output = new Option<FileInfo>("--out", "-o") { Description = "rewards JSONL: {\"id\", \"reward\", \"policy_logprob\", \"ref_logprob\", \"count\"}; the per-model scores go to OUT.policy.jsonl and OUT.ref.jsonl", Required = true, HelpName = "rewards.jsonl" };
        var cmd = new Command("reward", "DPO log-ratio reward r = β·[log π_policy(y|x) − log π_ref(y|x)] (Merlinite used Mixtral-8x7B-Instruct vs Mixtral-8x7B). " +
                                        "Scores everything with one model, frees it, then the other; resumable per phase.")
        {
            input, output,
        };
        flags.AddTo(cmd);
        cmd.SetAction((parse, ct) =>
        {
            var inFile = RequireFile(parse.GetValue(input)!);
            var pairs = PairFile.ReadScorePairs(inFile, flags.Scoring.SystemPrompt(parse));
            var outPath = parse.GetValue(output)!.FullName;
            var results = flags.Run(parse, m => BuildItems(m, flags.Scoring, parse, pairs.Select(p => (p.Id, p.Prompt, p.Response))), outPath, ct);
            using (var file = new AtomicTextFile(outPath))
            {
                foreach (var r in results) file.WriteLine(r.ToJson());
                file.Commit();
            }
            int failed = results.Count(r => !r.Ok);
            Console.Error.WriteLine($"wrote {results.Count} rewards to {outPath}" + (failed > 0 ? $" ({failed} with errors)" : ""));
            return Task.FromResult(ExitCodes.Ok);
        });
        cmd.Add(CreateEval());
        return cmd;
    }

    private static Command CreateEval()
    {
        var flags = new RewardFlags();
        var pairsOpt = new Option<FileInfo>("--pairs") { Description = "preference JSONL: {\"prompt\", \"chosen\", \"rejected\", \"subset\"?}", Required = true, HelpName = "prefs.jsonl" };
        var json = new Option<bool>("--json") { Description = "print the accuracies as JSON instead of a table" };
        var work = new Option<FileInfo?>("--work") { Description = "where the per-model score files go (default: next to the pairs file)", HelpName = "PREFIX" };
        var cmd = new Command("eval", "RewardBench-style accuracy of the reward: the share of pairs where reward(chosen) > reward(rejected), per subset and overall.")
        {
            pairsOpt, json, work,
        };
        flags.AddTo(cmd);
        cmd.SetAction((parse, ct) =>
        {
            var inFile = RequireFile(parse.GetValue(pairsOpt)!);
            var prefs = PairFile.ReadPreferencePairs(inFile, flags.Scoring.SystemPrompt(parse));
            string prefix = parse.GetValue(work)?.FullName ?? inFile + ".eval";
            var results = flags.Run(parse, m => BuildItems(m, flags.Scoring, parse,
                prefs.SelectMany(p => new[] { (p.Id + "/chosen", p.Prompt, p.Chosen), (p.Id + "/rejected", p.Prompt, p.Rejected) })), prefix, ct)
                .ToDictionary(r => r.Id);
            var report = RewardAccuracy.Compute(prefs.Select(p => (p.Subset, results[p.Id + "/chosen"], results[p.Id + "/rejected"])));
            Console.Out.Write(parse.GetValue(json) ? report.ToJson() : report.ToTable());
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    private static string RequireFile(FileInfo f) =>
        f.Exists ? f.FullName : throw new UsageException($"input file not found: {f.FullName}");

    private static IReadOnlyList<ScoreItem> BuildItems(LoadedModel model, ScoringFlags flags, ParseResult parse,
        IEnumerable<(string Id, IReadOnlyList<Engine.Chat.ChatMessage> Prompt, string Response)> pairs)
    {
        var template = new ScoreTemplate(model, flags.TemplateKind(parse), flags.AppendEos(parse));
        return pairs.Select(p => template.Build(p.Id, p.Prompt, p.Response)).ToList();
    }
}
