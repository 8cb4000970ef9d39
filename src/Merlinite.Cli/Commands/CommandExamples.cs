using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Merlinite.Cli.Commands;

/// <summary>
/// The Examples section of every command's --help, in one place. Each example is a full command line that parses as
/// written (a test parses them all); file names follow gguf/README.md and the tiny world's layout.
/// </summary>
public static class CommandExamples
{
    private const string Model = "gguf/merlinite-7b-Q4_K_M.gguf";
    private const string Instruct = "gguf/mixtral-8x7b-instruct-v0.1.Q4_K_M.gguf";
    private const string Reference = "gguf/mixtral-8x7b-v0.1.Q4_K_M.gguf";

    public static readonly IReadOnlyDictionary<string, string[]> ByCommand = new Dictionary<string, string[]>
    {
        ["chat"] =
        [
            $"merlinite chat {Model}",
            $"merlinite chat -m {Model} -p \"What is LAB?\" --json",
            "merlinite chat gguf/tiny.gguf --lora runs/tiny/round-1/adapter.gguf --temp 0",
            "merlinite chat gguf/tiny.gguf -p \"Add one: 4\" --seed 7 --reproducible",
        ],
        ["serve"] =
        [
            $"merlinite serve -m {Model} --port 8080",
            $"merlinite serve -m {Model} --lora tuned=runs/pt/round-1/adapter.gguf --api-key secret --host 0.0.0.0",
        ],
        ["pack"] =
        [
            "merlinite pack -m runs/tiny/world/base.gguf --lora runs/tiny/run/round-2/adapter.gguf -o mychat",
            $"merlinite pack -m {Model} --system \"You are a helpful assistant.\" --name helper -o helper",
        ],
        ["generate"] = [$"merlinite generate -m {Model} -i prompts.jsonl -o answers.jsonl --temp 0 --max-tokens 512"],
        ["sample"] =
        [
            $"merlinite sample -m {Model} -i prompts.jsonl -o samples.jsonl --n 8 -np 16",
            $"merlinite sample -m {Model} --lora runs/pt/round-0/adapter.gguf -i prompts.jsonl -o samples.jsonl --seed 3",
        ],
        ["generate-data"] =
        [
            "merlinite generate-data --taxonomy taxonomy/ --teacher gguf/mixtral-8x7b-instruct-v0.1.Q4_K_M.gguf -o data/ --questions 64 -np 32",
            "merlinite generate-data --taxonomy taxonomy/ --documents docs-clones/ --teacher gguf/teacher.gguf -o data/ --prompt question_check=my-check.txt",
        ],
        ["score"] = [$"merlinite score -m {Model} -i samples.jsonl -o scores.jsonl --top-logprobs 5"],
        ["reward"] = [$"merlinite reward --instruct-model {Instruct} --reference-model {Reference} -i samples.jsonl -o rewards.jsonl --beta 0.1"],
        ["reward eval"] = [$"merlinite reward eval --instruct-model {Instruct} --reference-model {Reference} -i prefs.jsonl"],
        ["train"] =
        [
            $"merlinite train -m {Model} -i winners.jsonl -o adapter.gguf --epochs 2 --lr 1e-4",
            $"merlinite train -m {Model} -i winners.jsonl -o adapter.gguf --dry-run",
            "merlinite train -m runs/tiny/world/base.gguf -i winners.jsonl -o adapter.gguf --dtype f32 --reproducible",
        ],
        ["lora export"] = [$"merlinite lora export -m {Model} -i adapter.gguf -o peft-adapter/"],
        ["lora import"] = [$"merlinite lora import -m {Model} -i peft-adapter/ -o adapter.gguf"],
        ["lora merge"] = [$"merlinite lora merge -m {Model} --lora adapter.gguf -o merged.gguf --type q4_k_m"],
        ["run"] =
        [
            "merlinite run recipes/tiny.yaml",
            "merlinite run recipes/merlinite-7b-pt.yaml --dry-run",
            "merlinite run recipes/tiny.yaml -o /tmp/tiny-run -t 2",
            "merlinite run recipes/merlinite-7b-pt.yaml --shards 2",
            "merlinite run recipes/merlinite-7b-pt.yaml --shards 8 --executor slurm --partition gpu --gpus-per-task 1 --time 4:00:00",
            "merlinite run recipes/merlinite-7b-pt.yaml --shards 8 --executor kubernetes",
            "merlinite run recipes/tiny.yaml -o runs/tiny --phase reward --round 1 --shard 0/4",
        ],
        ["world tiny"] =
        [
            "merlinite world tiny -o runs/tiny/world --seed 7",
            "merlinite world tiny -o runs/tiny/world --no-lab",
            "merlinite world tiny -o /tmp/fast-world --reproducible false",
        ],
        ["synth"] =
        [
            "merlinite synth --preset tiny -o gguf/tiny.gguf",
            "merlinite synth --preset small --type f16 --seed 1 -o small-f16.gguf",
        ],
        ["quantize"] = ["merlinite quantize -m merged-f16.gguf -o merged-Q4_K_M.gguf --type q4_k_m"],
        ["gguf info"] = [$"merlinite gguf info {Model}", "merlinite gguf info adapter.gguf --full"],
        ["eval"] =
        [
            "merlinite eval mmlu -m model.gguf -i mmlu-test.jsonl --shots-file mmlu-dev.jsonl -k 5 -o results/mmlu.jsonl",
            "merlinite eval hellaswag -m model.gguf -i hellaswag-val.jsonl -k 10 --limit 500 -o results/hellaswag.jsonl",
            "merlinite eval gsm8k -m model.gguf -i gsm8k-test.jsonl --shots-file gsm8k-train.jsonl -k 5 -o results/gsm8k.jsonl",
            "merlinite eval mt_bench -m model.gguf --template model -i question.jsonl --judge judge.gguf -o results/mt.jsonl",
        ],
        ["taxonomy check"] =
        [
            "merlinite taxonomy check taxonomy/",
            "merlinite taxonomy check taxonomy/ --documents docs/",
        ],
        ["taxonomy list"] = ["merlinite taxonomy list taxonomy/", "merlinite taxonomy list taxonomy/ --documents docs/ --json"],
        ["bench score"] =
        [
            "merlinite bench score -m small-f16.gguf --n 8 --prompts 4",
            "merlinite bench score -m small-f16.gguf --reproducible",
        ],
        ["bench sample"] =
        [
            "merlinite bench sample -m small-f16.gguf --n 8,16 --gen-tokens 64",
            "merlinite bench sample -m small-f16.gguf --reproducible",
        ],
        ["bench workload"] = ["merlinite bench workload -m small-f16.gguf --prompts 32 --parallel 16"],
        ["bench eval"] = ["merlinite bench eval -m small-f16.gguf --questions 32 --context-tokens 512"],
        ["info"] = ["merlinite info"],
    };

    /// <summary>Makes --help end with the command's examples (after the options, as man pages do; the description
    /// stays one paragraph, so the command lists stay readable).</summary>
    public static RootCommand Apply(RootCommand root)
    {
        foreach (var help in root.Options.OfType<HelpOption>())
            if (help.Action is HelpAction standard) help.Action = new HelpWithExamples(standard);
        return root;
    }

    private sealed class HelpWithExamples(HelpAction standard) : SynchronousCommandLineAction
    {
        // As the standard help: `merlinite synth --help` shows help, not "--out is required".
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parse)
        {
            int code = standard.Invoke(parse);
            var names = new List<string>();
            for (var r = parse.CommandResult; r.Parent is System.CommandLine.Parsing.CommandResult parent; r = parent) names.Insert(0, r.Command.Name);
            if (ByCommand.TryGetValue(string.Join(' ', names), out var examples))
            {
                var output = parse.InvocationConfiguration.Output;
                output.WriteLine("Examples:");
                foreach (var e in examples) output.WriteLine("  " + e);
                output.WriteLine();
            }
            return code;
        }
    }

}
