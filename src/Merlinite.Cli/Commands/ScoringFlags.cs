using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;

namespace Merlinite.Cli.Commands;

/// <summary>Flags shared by score, reward and reward eval.</summary>
public sealed class ScoringFlags
{
    public Option<string> Template { get; } = new("--template") { Description = "how prompts are rendered: merlinite (Merlinite's chat template), model (the GGUF's own, e.g. Mixtral's [INST]), raw (texts as they are)", DefaultValueFactory = _ => "merlinite" };
    public Option<string?> System { get; } = new("--system") { Description = "system prompt for plain \"prompt\" lines (default: the Merlinite model card's with --template merlinite, none otherwise; \"\" for none)" };
    public Option<bool> NoEos { get; } = new("--no-eos") { Description = "do not score the end-of-generation token after each response (it is scored by default, except with --template raw)" };
    public Option<string> Truncate { get; } = new("--truncate") { Description = "items longer than the context: none (per-item error, the rest is scored) or left (drop the oldest prompt tokens)", DefaultValueFactory = _ => "none" };
    public Option<int> Parallel { get; } = new("--parallel", "-np") { Description = "sequences scored together (responses that share a prompt share its KV cache)", DefaultValueFactory = _ => 16 };
    public Option<int> Batch { get; } = new("--batch", "-b") { Description = "tokens per llama_decode call", DefaultValueFactory = _ => 2048 };
    private readonly RuntimeFlags _runtime = new(defaultContext: 8192);
    public Option<bool> FastAttention { get; } = new("--fast-attn") { Description = "llama.cpp's defaults (F16 KV cache, flash attention): less memory, faster on GPUs, but log-probs move by up to ~5e-3 per token; the default is an F32 cache without flash attention" };

    public ScoringFlags()
    {
        Template.AcceptOnlyFromAmong("merlinite", "model", "raw");
        Truncate.AcceptOnlyFromAmong("none", "left");
    }

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Template, System, NoEos, Truncate, Parallel, Batch, FastAttention }) command.Add(o);
        _runtime.AddTo(command);
    }

    public ScoreTemplateKind TemplateKind(ParseResult p) => p.GetValue(Template) switch
    {
        "model" => ScoreTemplateKind.Model,
        "raw" => ScoreTemplateKind.Raw,
        _ => ScoreTemplateKind.Merlinite,
    };

    public string? SystemPrompt(ParseResult p) =>
        p.GetValue(System) ?? (TemplateKind(p) == ScoreTemplateKind.Merlinite ? MerliniteTemplate.DefaultSystemPrompt : null);

    public bool AppendEos(ParseResult p) => !p.GetValue(NoEos) && TemplateKind(p) != ScoreTemplateKind.Raw;

    public ScorerOptions ScorerOptions(ParseResult p, int topK) => new()
    {
        TopK = topK,
        Truncate = p.GetValue(Truncate) == "left" ? TruncatePolicy.Left : TruncatePolicy.None,
    };

    public ModelLoadOptions LoadOptions(ParseResult p, FileInfo model)
    {
        var options = _runtime.Read(p, model);
        int parallel = p.GetValue(Parallel), batch = p.GetValue(Batch);
        if (parallel < 1) throw new UsageException($"--parallel must be >= 1 (got {parallel})");
        if (options.ContextSize is > 0 and < 16) throw new UsageException($"--ctx must be 0 or >= 16 (got {options.ContextSize})");
        if (batch < 1) throw new UsageException($"--batch must be >= 1 (got {batch})");
        return options with { Sequences = parallel, BatchSize = batch, ExactAttention = !p.GetValue(FastAttention) };
    }
}
