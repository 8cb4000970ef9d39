using Merlinite.Engine.Chat;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Jobs;

/// <summary>How responses are scored (teacher-forced log-probs): shared by score and reward.</summary>
public sealed record ScoringSettings
{
    /// <summary>Score the end-of-generation token after each response (Merlinite closes turns with &lt;|endoftext|&gt;,
    /// and RewardBench appends EOS), so the score also judges where an answer stops. Never with the raw template.</summary>
    public bool Eos { get; init; } = true;
    public TruncateMode Truncate { get; init; } = TruncateMode.None;
    /// <summary>Sequences scored together; responses that share a prompt share its KV cells.</summary>
    public int Parallel { get; init; } = 16;
    /// <summary>Tokens per llama_decode call (2048 fills a GPU's batch; on a CPU any value above ~512 performs alike).</summary>
    public int Batch { get; init; } = 2048;
    public RuntimeSettings Runtime { get; init; } = new();

    public bool AppendsEos(ChatTemplate template) => Eos && template != ChatTemplate.Raw;

    /// <summary>
    /// How a scoring job loads <paramref name="model"/> for <paramref name="items"/>: one KV buffer per sequence, and
    /// as many sequences as the context holds for the longest item (at most <see cref="Parallel"/>), so that an item
    /// that fits the context fits its sequence. llama.cpp rounds each sequence's buffer up to 256 cells.
    /// </summary>
    public ModelLoadOptions LoadOptions(ModelSpec model, IReadOnlyList<ScoreItem> items)
    {
        int longest = items.Count == 0 ? 1 : items.Max(i => i.PromptTokens.Length + i.ResponseTokens.Length - 1);
        int perSequence = (Math.Max(1, longest) + 255) / 256 * 256;
        // Context 0 (the model's own) becomes room for the longest item in every sequence.
        var runtime = Runtime.Context == 0 ? Runtime with { Context = perSequence * Parallel } : Runtime;
        int sequences = Math.Clamp(runtime.Context / perSequence, 1, Parallel);
        return new ModelLoadOptions { Model = model, Runtime = runtime, Sequences = sequences, BatchSize = Batch, KvPerSequence = true };
    }

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return Require.Between("parallel", Parallel, 1, 255);
        yield return Require.AtLeast("batch", Batch, 1);
        if (Batch >= 1 && Parallel is >= 1 and <= 255 && Batch < Parallel) yield return new SettingProblem("batch", $"must be at least {{parallel}} ({Parallel}): one row per sequence (got {Batch})");
        foreach (var p in Runtime.Problems()) yield return p;
        if (Runtime.Context >= 16 && Parallel is >= 1 and <= 255 && Runtime.Context < Parallel)
            yield return new SettingProblem("context", $"the context ({Runtime.Context} tokens) must hold at least {{parallel}} = {Parallel} tokens, one per sequence");
    }

    public Fingerprint AddTo(Fingerprint f, ChatTemplate template, string? system) => f
        .Add("template", template.Name()).Add("system", template.SystemPrompt(system)).Add("eos", AppendsEos(template))
        .Add("truncate", Truncate.ToString().ToLowerInvariant()).Add("parallel", Parallel).Add("batch", Batch).AddRuntime(Runtime);
}

/// <summary>Settings of `merlinite score`.</summary>
public sealed record ScoreSettings
{
    /// <summary>Merlinite's format: score is mostly asked what the policy thinks of a text, and the policy reads
    /// Merlinite's template.</summary>
    public ChatTemplate Template { get; init; } = ChatTemplate.Merlinite;
    public string? System { get; init; }
    /// <summary>The most likely alternatives reported per response token (OpenAI's top_logprobs).</summary>
    public int TopLogprobs { get; init; }
    /// <summary>Write every token with its log-prob, not only the sums.</summary>
    public bool Tokens { get; init; } = true;
    public ScoringSettings Scoring { get; init; } = new();

    public IEnumerable<SettingProblem?> Problems() =>
        Scoring.Problems().Append(Require.Between("top_logprobs", TopLogprobs, 0, 100));
}
