using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Jobs;

/// <summary>Settings of the DPO log-ratio reward, for `merlinite reward` and a recipe's reward section alike.</summary>
public sealed record RewardSettings
{
    /// <summary>β in r = β·[log π_instruct − log π_reference]; 0.1, the usual DPO β.</summary>
    public double Beta { get; init; } = 0.1;
    /// <summary>Summed response log-probs, RewardBench's DPO reward; mean divides by the token count (less length bias).</summary>
    public RewardNorm Norm { get; init; } = RewardNorm.Sum;
    /// <summary>The instruct (reward) model's own chat template, applied once, so both models score the same token
    /// ids: how RewardBench, whose 74.7 the Merlinite card cites for this reward, computes it. Merlinite's template
    /// stays available for reward models that were tuned on it.</summary>
    public ChatTemplate Template { get; init; } = ChatTemplate.Model;
    public string? System { get; init; }
    public ScoringSettings Scoring { get; init; } = new();

    public IEnumerable<SettingProblem?> Problems() => Scoring.Problems().Append(Require.Above("beta", Beta, 0));
}

/// <summary>
/// r = β·[log π_instruct(y|x) − log π_reference(y|x)] for every pair of a JSONL file, in three resumable steps that one
/// model at a time runs, so two 8x7B models never need to be resident together: the instruct model scores every pair
/// (OUT's .instruct-scores.jsonl), then the reference model (.reference-scores.jsonl), then the rewards are combined
/// into OUT. Both models score the token ids the instruct model's tokenizer and template produced.
/// </summary>
public sealed record RewardJob(ModelSpec Instruct, ModelSpec Reference, string Input, string Out, RewardSettings Settings)
    : IJob
{
    public const string Kind = "reward";

    /// <summary>Only this shard's blocks of the pairs (null: all of them).</summary>
    public Shard? Shard { get; init; }

    public OutputFile Output => new(Out);
    public IReadOnlyList<string> Inputs => [Input];

    public void Make(Action<double, string?> report, CancellationToken ct) =>
        Run(ReuseRule.ResumeOrRecompute, (model, p) => report((model == "instruct" ? 0 : 0.5) +
            0.5 * (p.Total == 0 ? 1 : (double)p.Done / p.Total), $"{model} model: {p.Done}/{p.Total} answers scored"), ct);
    public OutputFile InstructScores => new(SidePath("instruct-scores"));
    public OutputFile ReferenceScores => new(SidePath("reference-scores"));

    public void Validate() => SettingException.ThrowIfAny(Settings.Problems()
        .Concat(JobSupport.ModelProblems("instruct_model", Instruct)).Concat(JobSupport.ModelProblems("reference_model", Reference))
        .Append(JobSupport.InputProblem("input", Input)));

    public Fingerprint Fingerprint()
    {
        var f = new Fingerprint(Kind).AddModel("instruct_model", Instruct).AddModel("reference_model", Reference)
            .AddFile("input", Input).Add("beta", Settings.Beta).Add("norm", Settings.Norm.ToString().ToLowerInvariant());
        f = Settings.Scoring.AddTo(f, Settings.Template, Settings.System);
        return Shard is null ? f : f.Add("shard", Shard.ToString());
    }

    /// <summary>Shard <paramref name="shard"/>'s job: its blocks of the pairs, into its own files beside OUT.</summary>
    public RewardJob ForShard(Shard shard) => this with { Out = ShardMerge.ShardPath(Out, shard), Shard = shard };

    /// <summary>The rewards and both models' score files, each joined from the shards' (<see cref="ShardMerge.Join"/>).</summary>
    public IEnumerable<ShardedOutput> ShardedOutputs() =>
    [
        new(InstructScores, () => ScoresFingerprint("instruct_model", Instruct),
            s => (ForShard(s).InstructScores, ForShard(s).ScoresFingerprint("instruct_model", Instruct))),
        new(ReferenceScores, () => ScoresFingerprint("reference_model", Reference),
            s => (ForShard(s).ReferenceScores, ForShard(s).ScoresFingerprint("reference_model", Reference))),
        new(Output, Fingerprint, s => (ForShard(s).Output, ForShard(s).Fingerprint())),
    ];

    /// <summary>What one model's score file depends on: that model, and the tokenizer and template that made the ids.</summary>
    private Fingerprint ScoresFingerprint(string key, ModelSpec model)
    {
        var f = new Fingerprint(ScoreJob.Kind).AddModel(key, model).AddFile("tokenizer", Instruct.Path).AddFile("input", Input);
        f = Settings.Scoring.AddTo(f, Settings.Template, Settings.System);
        return Shard is null ? f : f.Add("shard", Shard.ToString());
    }

    /// <param name="progress">Gets the model being run ("instruct" or "reference") and its progress.</param>
    public (IReadOnlyList<RewardResult> Rewards, JobResult Result) Run(ReuseRule reuse, Action<string, ScoreProgress>? progress, CancellationToken ct)
    {
        Validate();
        var (output, instructOut, referenceOut) = (Output, InstructScores, ReferenceScores);
        foreach (var o in new[] { output, instructOut, referenceOut }) o.EnsureWritable();
        var pairs = PairFile.ReadScorePairs(Input, Settings.Template.SystemPrompt(Settings.System));
        ModelFiles.CheckModel(Instruct.Path, "instruct_model");
        ModelFiles.CheckModel(Reference.Path, "reference_model");
        VocabularyFingerprint.EnsureSame(Instruct.Path, Reference.Path);
        var fingerprint = Fingerprint();
        // The score files are prepared later, inside the work: an input among them is refused before anything starts.
        foreach (var o in new[] { instructOut, referenceOut }) o.EnsureWritable(fingerprint.InputFiles);
        if (output.Prepare(fingerprint, reuse)) return (RewardFile.Read(Out), new JobResult(UpToDate: true));
        return output.Guard(() => Work(reuse, instructOut, referenceOut, pairs, progress, ct));
    }

    private (IReadOnlyList<RewardResult>, JobResult) Work(ReuseRule reuse, OutputFile instructOut, OutputFile referenceOut,
        IReadOnlyList<ScorePair> pairs, Action<string, ScoreProgress>? progress, CancellationToken ct)
    {
        IReadOnlyList<ScoreItem> all;
        using (var tokenizer = LoadedModel.LoadVocabulary(Instruct.Path, "instruct_model"))
        {
            var template = new ScoreTemplate(tokenizer, Settings.Template, Settings.Scoring.AppendsEos(Settings.Template));
            all = pairs.Select(p => template.Build(p.Id, p.Prompt, p.Response)).ToList();
        }
        // A shard scores its blocks of the one-process block grid, with the model loaded as for all items, so each item
        // is scored in the same batch and KV layout as there.
        var items = Shard is null ? all : Shard.Slice(all, ScoreFileRunner.BlockItems);
        Score(instructOut, "instruct_model", Instruct, all, items, reuse, p => progress?.Invoke("instruct", p), ct);
        Score(referenceOut, "reference_model", Reference, all, items, reuse, p => progress?.Invoke("reference", p), ct);

        var byInstruct = ScoreJson.ReadSummaries(instructOut.Path);
        var byReference = ScoreJson.ReadSummaries(referenceOut.Path);
        var results = items.Select(i => RewardResult.Combine(i.Id, byInstruct[i.Id], byReference[i.Id], Settings.Beta, Settings.Norm)).ToList();
        AtomicFile.WriteAllLines(Out, results.Select(RewardFile.Format));
        return ((IReadOnlyList<RewardResult>)results, new JobResult(false, 2L * items.Sum(i => (long)i.ResponseTokens.Length)));
    }

    private void Score(OutputFile output, string key, ModelSpec model, IReadOnlyList<ScoreItem> all, IReadOnlyList<ScoreItem> items, ReuseRule reuse,
        Action<ScoreProgress> progress, CancellationToken ct)
    {
        if (output.Prepare(ScoresFingerprint(key, model), reuse)) return;
        output.Guard(() =>
        {
            var s = Settings.Scoring;
            using var loaded = LoadedModel.Load(s.LoadOptions(model, all), key);
            ScoreFileRunner.Run(loaded, new ScorerOptions { Truncate = s.Truncate }, items, output, withTokens: false, progress, ct);
            return 0;
        });
    }

    private string SidePath(string what) =>
        (Out.EndsWith(".jsonl", StringComparison.Ordinal) ? Out[..^".jsonl".Length] : Out) + $".{what}.jsonl";
}
