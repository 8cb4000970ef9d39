using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Jobs;

/// <summary>Per-token log-probs of every (prompt, response) pair of a JSONL file (any layout <see cref="PairFile"/>
/// reads, `merlinite sample`'s output included) into a resumable score file.</summary>
public sealed record ScoreJob(ModelSpec Model, string Input, string Out, ScoreSettings Settings)
{
    public const string Kind = "score";

    public OutputFile Output => new(Out);

    public void Validate() => SettingException.ThrowIfAny(Settings.Problems().Concat(JobSupport.ModelProblems("model", Model))
        .Append(JobSupport.InputProblem("input", Input)));

    public Fingerprint Fingerprint()
    {
        var f = new Fingerprint(Kind).AddModel("model", Model).AddFile("input", Input)
            .Add("top_logprobs", Settings.TopLogprobs).Add("tokens", Settings.Tokens);
        return Settings.Scoring.AddTo(f, Settings.Template, Settings.System);
    }

    public JobResult Run(ReuseRule reuse, Action<ScoreProgress>? progress, CancellationToken ct)
    {
        Validate();
        var output = Output;
        output.EnsureWritable();
        JobSupport.CheckFiles("model", Model);
        var pairs = PairFile.ReadScorePairs(Input, Settings.Template.SystemPrompt(Settings.System));
        if (output.Prepare(Fingerprint(), reuse)) return new JobResult(UpToDate: true);
        return output.Guard(() =>
        {
            var s = Settings.Scoring;
            List<ScoreItem> items;
            using (var tokenizer = LoadedModel.LoadVocabulary(Model.Path))
            {
                var template = new ScoreTemplate(tokenizer, Settings.Template, s.AppendsEos(Settings.Template));
                items = pairs.Select(p => template.Build(p.Id, p.Prompt, p.Response)).ToList();
            }
            using var model = LoadedModel.Load(s.LoadOptions(Model, items));
            var options = new ScorerOptions { TopK = Settings.TopLogprobs, Truncate = s.Truncate };
            ScoreFileRunner.Run(model, options, items, output, Settings.Tokens, progress, ct);
            return new JobResult(false, items.Sum(i => (long)i.ResponseTokens.Length));
        });
    }
}
