using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Sampling;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Jobs;

/// <summary>Best-of-N sampling settings: one type, one default and one check each, for `merlinite sample` and a
/// recipe's sampling section alike.</summary>
public sealed record SampleSettings
{
    /// <summary>Samples per prompt, the N of best-of-N (8: the common rejection-sampling setting).</summary>
    public int N { get; init; } = 8;
    public SamplingOptions Sampling { get; init; } = new();
    /// <summary>Strings that end a sample; they are cut from its text.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];
    /// <summary>Samples decoded together by one llama_decode (16 keeps a CPU's and a small GPU's matmuls busy).</summary>
    public int Parallel { get; init; } = 16;
    public ChatTemplate Template { get; init; } = ChatTemplate.Merlinite;
    /// <summary>System prompt for plain "prompt" lines; null: the template's default (<see cref="ChatTemplates.SystemPrompt"/>).</summary>
    public string? System { get; init; }
    public RuntimeSettings Runtime { get; init; } = new();

    /// <summary>From this many cells (parallel samples × max_tokens) on, each sequence gets its own KV buffer, when the
    /// context has room for the longest prompt and a full answer in each. In one shared buffer every token attends over
    /// every cell in use, so the cost per token grows with parallel × length; a buffer per sequence costs a copy of the
    /// prompt per sample and smaller matmuls. Measured crossover (bench/scaling.sh, docs/benchmarks.md): about 2048
    /// cells, e.g. 8 samples × 256 tokens (1.19× faster per sequence; 1.39× at 512) or 32 × 64 (1.35×).</summary>
    public const int KvPerSequenceFromCells = 2048;

    /// <summary>How the job loads its model for <paramref name="requests"/>: the sequences, the batch, and the KV layout.</summary>
    public ModelLoadOptions LoadOptions(ModelSpec model, IReadOnlyList<SampleRequest> requests)
    {
        int sequences = BestOfNSampler.SequencesFor(Parallel);
        int longest = requests.Count == 0 ? 1 : requests.Max(r => r.PromptTokens.Length);
        int perSequence = (longest + Sampling.MaxTokens + 255) / 256 * 256;
        bool own = Parallel * Sampling.MaxTokens >= KvPerSequenceFromCells && Runtime.Context > 0 && Runtime.Context / sequences >= perSequence;
        return new ModelLoadOptions
        {
            Model = model, Runtime = Runtime, Sequences = sequences, BatchSize = Math.Max(512, Parallel), KvPerSequence = own,
        };
    }

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return Require.Between("n", N, 1, 255);
        yield return Require.Between("parallel", Parallel, 1, 255);
        foreach (var p in Sampling.Problems()) yield return p;
        foreach (var p in Runtime.Problems()) yield return p;
        // llama.cpp needs one context cell per sequence (the samples plus the one holding the shared prompt).
        if (Runtime.Context >= 16 && Parallel is >= 1 and <= 255 && Runtime.Context < BestOfNSampler.SequencesFor(Parallel))
            yield return new SettingProblem("context", $"the context ({Runtime.Context} tokens) must hold at least {{parallel}} + 1 = {BestOfNSampler.SequencesFor(Parallel)} tokens, one per sequence");
    }
}

/// <summary>Samples every prompt of a JSONL file into a resumable sample file (<see cref="SampleFile"/>).</summary>
public sealed record SampleJob(ModelSpec Model, string Input, string Out, SampleSettings Settings) : IJob
{
    public const string Kind = "sample";

    /// <summary>Only this shard's blocks of the prompts (null: all of them).</summary>
    public Shard? Shard { get; init; }

    public OutputFile Output => new(Out);
    public IReadOnlyList<string> Inputs => [Input, Model.Path, .. Model.Loras.Select(l => l.Path)];

    public void Make(Action<double, string?> report, CancellationToken ct) =>
        Run(ReuseRule.ResumeOrRecompute, p => report(p.PromptsTotal == 0 ? 1 : (double)p.PromptsDone / p.PromptsTotal,
            $"{p.PromptsDone}/{p.PromptsTotal} prompts, {p.TokensPerSecond:F0} tokens/s"), ct);

    public void Validate() => SettingException.ThrowIfAny(Settings.Problems().Concat(JobSupport.ModelProblems("model", Model))
        .Append(JobSupport.InputProblem("input", Input)));

    public Fingerprint Fingerprint()
    {
        var s = Settings;
        var f = new Fingerprint(Kind).AddModel("model", Model).AddFile("input", Input).Add("n", s.N);
        s.Sampling.AddTo(f);
        f.Add("stop", s.Stop).Add("parallel", s.Parallel).Add("template", s.Template.Name())
            .Add("system", s.Template.SystemPrompt(s.System)).AddRuntime(s.Runtime);
        return Shard is null ? f : f.Add("shard", Shard.ToString()); // a whole run's fingerprint stays as it was
    }

    /// <summary>Shard <paramref name="shard"/>'s job: its blocks of the prompts, into its own file beside OUT.</summary>
    public SampleJob ForShard(Shard shard) => this with { Out = ShardMerge.ShardPath(Out, shard), Shard = shard };

    /// <summary>Shard K's output, for the join (<see cref="ShardMerge.Join"/>): one file.</summary>
    public IEnumerable<ShardedOutput> ShardedOutputs() =>
        [new(Output, Fingerprint, s => (ForShard(s).Output, ForShard(s).Fingerprint()))];

    public JobResult Run(ReuseRule reuse, Action<SampleProgress>? progress, CancellationToken ct)
    {
        Validate();
        var output = Output;
        output.EnsureWritable();
        JobSupport.CheckFiles("model", Model);
        var items = PromptFile.Read(Input, Settings.Template.SystemPrompt(Settings.System));
        if (output.Prepare(Fingerprint(), reuse)) return new JobResult(UpToDate: true);
        return output.Guard(() =>
        {
            List<SampleRequest> requests;
            using (var tokenizer = LoadedModel.LoadVocabulary(Model.Path))
                requests = SampleFileRunner.Requests(tokenizer, items, Settings.Template);
            using var model = LoadedModel.Load(Settings.LoadOptions(Model, requests));
            var options = new BestOfNOptions { Sampling = Settings.Sampling, N = Settings.N, Stops = Settings.Stop };
            return new JobResult(false, SampleFileRunner.Run(model, options, items, requests, output, progress, ct, Shard));
        });
    }
}
