using System.CommandLine;

namespace Merlinite.Cli.Infrastructure;

/// <summary>
/// One option vocabulary for every command: each setting key of the Engine (the names its messages, fingerprints and
/// recipes use) has exactly one flag. Options are created from this table, so a flag cannot drift from its setting,
/// and an Engine message about "context" becomes one about --ctx.
/// </summary>
public static class Flags
{
    private static readonly Dictionary<string, string[]> Names = new(StringComparer.Ordinal)
    {
        // files
        ["model"] = ["--model", "-m"], ["input"] = ["--input", "-i"], ["out"] = ["--out", "-o"], ["lora"] = ["--lora"],
        ["instruct_model"] = ["--instruct-model"], ["reference_model"] = ["--reference-model"], ["init_adapter"] = ["--init-adapter"],
        ["restart"] = ["--restart"],
        // how models run
        ["context"] = ["--ctx", "-c"], ["gpu_layers"] = ["--gpu-layers", "-ngl"], ["vram"] = ["--vram"], ["threads"] = ["--threads", "-t"],
        ["fast_attn"] = ["--fast-attn"], ["verbose"] = ["--verbose"],
        ["reproducible"] = ["--reproducible"],
        // sampling
        ["n"] = ["--n"], ["temperature"] = ["--temp"], ["top_k"] = ["--top-k"], ["top_p"] = ["--top-p"], ["min_p"] = ["--min-p"],
        ["repeat_penalty"] = ["--repeat-penalty"], ["seed"] = ["--seed", "-s"], ["max_tokens"] = ["--max-tokens"], ["stop"] = ["--stop"],
        ["parallel"] = ["--parallel", "-np"], ["template"] = ["--template"], ["system"] = ["--system"],
        // scoring and the reward
        ["top_logprobs"] = ["--top-logprobs"], ["tokens"] = ["--no-tokens"], ["eos"] = ["--no-eos"], ["truncate"] = ["--truncate"],
        ["batch"] = ["--batch", "-b"], ["beta"] = ["--beta"], ["norm"] = ["--norm"],
        // LoRA training
        ["rank"] = ["--lora-rank"], ["alpha"] = ["--lora-alpha"], ["dropout"] = ["--lora-dropout"], ["targets"] = ["--targets"],
        ["lr"] = ["--lr"], ["warmup_steps"] = ["--warmup-steps"], ["epochs"] = ["--epochs"], ["max_steps"] = ["--max-steps"],
        ["batch_size"] = ["--batch-size"], ["grad_accum"] = ["--grad-accum"], ["max_grad_norm"] = ["--max-grad-norm"],
        ["weight_decay"] = ["--weight-decay"], ["checkpoint_every"] = ["--checkpoint-every"], ["max_seq_len"] = ["--max-seq-len"],
        // evaluation
        ["data"] = ["--input", "-i", "--data", "-d"], ["shots"] = ["--shots", "-k"], ["shots_file"] = ["--shots-file"], ["limit"] = ["--limit"],
        ["metric"] = ["--metric"], ["name"] = ["--name"], ["judge"] = ["--judge"], ["judge_prompt"] = ["--judge-prompt"],
        ["judge_prompts"] = ["--judge-prompts"], ["references"] = ["--references"], ["runs"] = ["--runs"],
        ["judge_template"] = ["--judge-template"], ["judge_max_tokens"] = ["--judge-max-tokens"],
        ["fewshot_sampler"] = ["--fewshot-sampler"],
        // LAB data generation
        ["taxonomy"] = ["--taxonomy"], ["documents"] = ["--documents"], ["teacher"] = ["--teacher"], ["questions"] = ["--questions"],
        ["seeds_per_prompt"] = ["--seeds-per-prompt"], ["answer_tokens"] = ["--answer-tokens"], ["check_tokens"] = ["--check-tokens"],
        ["min_question_rating"] = ["--min-question-rating"], ["min_pair_rating"] = ["--min-pair-rating"], ["chunk_words"] = ["--chunk-words"], ["prompt"] = ["--prompt"],
        // serving
        ["host"] = ["--host"], ["port"] = ["--port"], ["api_key"] = ["--api-key"], ["max_queued"] = ["--max-queued"], ["ignore_eos"] = ["--ignore-eos"], ["prompt_cache"] = ["--prompt-cache"],
        ["dtype"] = ["--dtype"], ["device"] = ["--device"], ["checkpointing"] = ["--checkpointing"], ["max_batch_tokens"] = ["--max-batch-tokens"],
    };

    /// <summary>Keys that name a setting of one of a job's several models: they share the command's flag.</summary>
    private static readonly Dictionary<string, string> SharedFlags = new(StringComparer.Ordinal)
    {
        ["instruct_model_gpu_layers"] = "gpu_layers", ["reference_model_gpu_layers"] = "gpu_layers",
        ["tokenizer"] = "instruct_model", ["judge_gpu_layers"] = "gpu_layers", ["teacher_gpu_layers"] = "gpu_layers",
    };

    /// <summary>The flag of a setting key ("context" → "--ctx"); an unknown key is returned as it is.</summary>
    public static string Of(string key)
    {
        if (SharedFlags.TryGetValue(key, out var shared)) key = shared;
        return Names.TryGetValue(key, out var names) ? names[0] : key;
    }

    public static Option<T> Create<T>(string key, string description, T defaultValue, string? helpName = null) =>
        new(Names[key][0], Names[key][1..]) { Description = description, DefaultValueFactory = _ => defaultValue, HelpName = helpName };

    /// <summary>--threads, with the one default every command shares (0: one per core).</summary>
    public static Option<int> Threads(string description = "CPU threads (0 = one per core)") =>
        Create("threads", description, new Engine.Settings.RuntimeSettings().Threads, "N");

    /// <summary>--reproducible: the process runs in the reproducible mode (CliApp turns it on before the command runs).
    /// The tiny world's command defaults it to on.</summary>
    public static Option<bool> Reproducible(bool defaultValue = false)
    {
        const string what = "the same bytes on every x86-64-v3 CPU (AVX2, FMA, F16C) and thread count: llama.cpp's " +
                            "portable build, the trainer on one libtorch code path and one thread";
        return Create("reproducible", defaultValue
            ? what + " (on by default here; --reproducible false uses this machine's fastest kernels)"
            : what + "; slower, CPU only (docs/reproducibility.md)", defaultValue);
    }

    /// <summary>A flag without a default; null (or empty) means "not given".</summary>
    public static Option<T> Optional<T>(string key, string description, string? helpName = null) =>
        new(Names[key][0], Names[key][1..]) { Description = description, HelpName = helpName };

    public static Option<T> Required<T>(string key, string description, string? helpName = null) =>
        new(Names[key][0], Names[key][1..]) { Description = description, Required = true, HelpName = helpName };
}
