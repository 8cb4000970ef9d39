using System.Text;

namespace Merlinite.Cli.Tests;

[CollectionDefinition("bad input world")]
public sealed class BadInputWorldCollection : ICollectionFixture<BadInputWorld>;

/// <summary>
/// Bad inputs across every command, tried as a user would make them: each must exit 1 or 2 (never 0, never a signal),
/// print one error line that names the place (the flag, the file and line, the recipe's line:column), and leave
/// nothing at the output path that looks complete.
/// </summary>
[Collection("bad input world")]
public sealed class BadInputCorpusTests(BadInputWorld w)
{
    /// <param name="Place">What the error must name.</param>
    /// <param name="Out">The output path the command was given: afterwards nothing may be there (or, for a file that
    /// was there before, it must be unchanged).</param>
    private sealed record Case(Func<BadInputWorld, string[]> Args, Func<BadInputWorld, string> Place, Func<BadInputWorld, string>? Out = null);

    private static string[] Sample(BadInputWorld w, params string[] extra) => ["sample", "-m", w.Model, "-i", w.Prompts, "-o", w.File("s.jsonl"), "-t", "1", .. extra];
    private static string[] Score(BadInputWorld w, params string[] extra) => ["score", "-m", w.Model, "-i", w.Pairs, "-o", w.File("sc.jsonl"), "-t", "1", .. extra];
    private static string[] Reward(BadInputWorld w, params string[] extra) =>
        ["reward", "--instruct-model", w.Other, "--reference-model", w.Model, "-i", w.Pairs, "-o", w.File("r.jsonl"), "--template", "merlinite", "-t", "1", .. extra];
    private static string[] Train(BadInputWorld w, params string[] extra) => ["train", "-m", w.Model, "-i", w.Pairs, "-o", w.File("t.gguf"), "-t", "1", .. extra];
    private static string[] Run(BadInputWorld w, string name, string yaml, params string[] extra) => ["run", w.Recipe(name, yaml), .. extra];

    private static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // ---- flags and values
        ["unknown-flag"] = new(w => Sample(w, "--nn", "3"), _ => "--nn"),
        ["unknown-command"] = new(_ => ["frobnicate"], _ => "frobnicate"),
        ["missing-input-flag"] = new(w => ["sample", "-m", w.Model, "-o", w.File("s.jsonl")], _ => "--input"),
        ["n-zero"] = new(w => Sample(w, "--n", "0"), _ => "--n must be between 1 and 255", w => w.File("s.jsonl")),
        ["n-too-big"] = new(w => Sample(w, "--n", "256"), _ => "--n", w => w.File("s.jsonl")),
        ["parallel-zero"] = new(w => Sample(w, "--parallel", "0"), _ => "--parallel", w => w.File("s.jsonl")),
        ["temp-negative"] = new(w => Sample(w, "--temp", "-1"), _ => "--temp", w => w.File("s.jsonl")),
        ["temp-not-a-number"] = new(w => Sample(w, "--temp", "warm"), _ => "warm", w => w.File("s.jsonl")),
        ["top-p-zero"] = new(w => Sample(w, "--top-p", "0"), _ => "--top-p", w => w.File("s.jsonl")),
        ["top-p-above-one"] = new(w => Sample(w, "--top-p", "1.5"), _ => "--top-p", w => w.File("s.jsonl")),
        ["min-p-one"] = new(w => Sample(w, "--min-p", "1"), _ => "--min-p", w => w.File("s.jsonl")),
        ["top-k-negative"] = new(w => Sample(w, "--top-k", "-1"), _ => "--top-k", w => w.File("s.jsonl")),
        ["repeat-penalty-zero"] = new(w => Sample(w, "--repeat-penalty", "0"), _ => "--repeat-penalty", w => w.File("s.jsonl")),
        ["max-tokens-zero"] = new(w => Sample(w, "--max-tokens", "0"), _ => "--max-tokens", w => w.File("s.jsonl")),
        ["seed-reserved"] = new(w => Sample(w, "--seed", "4294967295"), _ => "--seed", w => w.File("s.jsonl")),
        ["ctx-tiny"] = new(w => Sample(w, "--ctx", "8"), _ => "--ctx", w => w.File("s.jsonl")),
        ["ctx-not-above-parallel"] = new(w => Sample(w, "--ctx", "16", "--parallel", "16"), _ => "--ctx", w => w.File("s.jsonl")),
        ["threads-negative"] = new(w => ["sample", "-m", w.Model, "-i", w.Prompts, "-o", w.File("s.jsonl"), "--threads", "-1"], _ => "--threads", w => w.File("s.jsonl")),
        ["gpu-layers-below-minus-one"] = new(w => Sample(w, "--gpu-layers", "-2"), _ => "--gpu-layers", w => w.File("s.jsonl")),
        ["template-unknown"] = new(w => Sample(w, "--template", "chatml"), _ => "chatml", w => w.File("s.jsonl")),
        ["top-logprobs-negative"] = new(w => Score(w, "--top-logprobs", "-1"), _ => "--top-logprobs", w => w.File("sc.jsonl")),
        ["batch-below-parallel"] = new(w => Score(w, "--batch", "4", "--parallel", "8"), _ => "--batch", w => w.File("sc.jsonl")),
        ["truncate-unknown"] = new(w => Score(w, "--truncate", "middle"), _ => "middle", w => w.File("sc.jsonl")),
        ["score-parallel-zero"] = new(w => Score(w, "--parallel", "0"), _ => "--parallel", w => w.File("sc.jsonl")),
        ["beta-zero"] = new(w => Reward(w, "--beta", "0"), _ => "--beta must be greater than 0", w => w.File("r.jsonl")),
        ["beta-negative"] = new(w => Reward(w, "--beta", "-1"), _ => "--beta", w => w.File("r.jsonl")),
        ["norm-unknown"] = new(w => Reward(w, "--norm", "median"), _ => "median", w => w.File("r.jsonl")),
        ["reward-without-reference"] = new(w => ["reward", "--instruct-model", w.Model, "-i", w.Pairs, "-o", w.File("r.jsonl")], _ => "--reference-model", w => w.File("r.jsonl")),
        ["lr-negative"] = new(w => Train(w, "--lr", "-1"), _ => "--lr", w => w.File("t.gguf")),
        ["lr-zero"] = new(w => Train(w, "--lr", "0"), _ => "--lr must be greater than 0", w => w.File("t.gguf")),
        ["epochs-zero"] = new(w => Train(w, "--epochs", "0"), _ => "--epochs", w => w.File("t.gguf")),
        ["rank-zero"] = new(w => Train(w, "--lora-rank", "0"), _ => "--lora-rank", w => w.File("t.gguf")),
        ["alpha-zero"] = new(w => Train(w, "--lora-alpha", "0"), _ => "--lora-alpha", w => w.File("t.gguf")),
        ["dropout-one"] = new(w => Train(w, "--lora-dropout", "1"), _ => "--lora-dropout", w => w.File("t.gguf")),
        ["targets-unknown"] = new(w => Train(w, "--targets", "attn_q,attn_x"), _ => "attn_x", w => w.File("t.gguf")),
        ["batch-size-zero"] = new(w => Train(w, "--batch-size", "0"), _ => "--batch-size", w => w.File("t.gguf")),
        ["grad-accum-zero"] = new(w => Train(w, "--grad-accum", "0"), _ => "--grad-accum", w => w.File("t.gguf")),
        ["max-grad-norm-negative"] = new(w => Train(w, "--max-grad-norm", "-1"), _ => "--max-grad-norm", w => w.File("t.gguf")),
        ["max-steps-zero"] = new(w => Train(w, "--max-steps", "0"), _ => "--max-steps", w => w.File("t.gguf")),
        ["warmup-negative"] = new(w => Train(w, "--warmup-steps", "-1"), _ => "--warmup-steps", w => w.File("t.gguf")),
        ["max-seq-len-one"] = new(w => Train(w, "--max-seq-len", "1"), _ => "--max-seq-len", w => w.File("t.gguf")),
        ["max-seq-len-too-short-for-an-example"] = new(w => Train(w, "--max-seq-len", "8"), _ => "--max-seq-len", w => w.File("t.gguf")),
        ["chat-empty-prompt"] = new(w => ["chat", w.Model, "-p", ""], _ => "prompt is empty"),
        ["chat-no-model"] = new(_ => ["chat", "-p", "hi"], _ => "MODEL"),
        ["quantize-unknown-type"] = new(w => ["quantize", "-m", w.Model, "-o", w.File("q.gguf"), "--type", "q9_z"], _ => "q9_z", w => w.File("q.gguf")),
        ["quantize-onto-itself"] = new(w => ["quantize", "-m", w.Model, "-o", w.Model], _ => "--out"),
        ["synth-unknown-preset"] = new(w => ["synth", "--preset", "huge", "--out", w.File("x.gguf")], _ => "huge", w => w.File("x.gguf")),
        ["synth-unknown-dimension"] = new(w => ["synth", "--dims", "n_embed=3", "--out", w.File("x.gguf")], _ => "n_embed", w => w.File("x.gguf")),
        ["run-threads-negative"] = new(w => Run(w, "threads", w.GoodRecipe(), "--threads", "-1"), _ => "--threads"),

        // ---- model and adapter files
        ["model-missing"] = new(w => ["sample", "-m", w.File("nope.gguf"), "-i", w.Prompts, "-o", w.File("s.jsonl")], w => w.File("nope.gguf"), w => w.File("s.jsonl")),
        ["model-is-a-folder"] = new(w => ["sample", "-m", w.Folder, "-i", w.Prompts, "-o", w.File("s.jsonl")], w => $"{w.Folder} is a folder", w => w.File("s.jsonl")),
        ["model-is-text"] = new(w => ["sample", "-m", w.Text, "-i", w.Prompts, "-o", w.File("s.jsonl")], w => $"{w.Text}: not a GGUF file", w => w.File("s.jsonl")),
        ["model-truncated"] = new(w => ["sample", "-m", w.Truncated, "-i", w.Prompts, "-o", w.File("s.jsonl")], w => w.Truncated, w => w.File("s.jsonl")),
        ["model-is-an-adapter"] = new(w => ["sample", "-m", w.Adapter, "-i", w.Prompts, "-o", w.File("s.jsonl")], w => $"{w.Adapter} is a LoRA adapter, not a model", w => w.File("s.jsonl")),
        ["lora-is-a-model"] = new(w => Sample(w, "--lora", w.Other), w => $"{w.Other} is not a LoRA adapter", w => w.File("s.jsonl")),
        ["lora-scale-not-a-number"] = new(w => Sample(w, "--lora", w.Adapter + ":abc"), _ => "'abc' is not a scale", w => w.File("s.jsonl")),
        ["lora-missing"] = new(w => Sample(w, "--lora", w.File("no-adapter.gguf")), w => w.File("no-adapter.gguf"), w => w.File("s.jsonl")),
        ["score-model-is-text"] = new(w => ["score", "-m", w.Text, "-i", w.Pairs, "-o", w.File("sc.jsonl")], w => w.Text, w => w.File("sc.jsonl")),
        ["reward-instruct-is-text"] = new(w => ["reward", "--instruct-model", w.Text, "--reference-model", w.Model, "-i", w.Pairs, "-o", w.File("r.jsonl")], w => w.Text, w => w.File("r.jsonl")),
        ["reward-vocabularies-differ"] = new(w => ["reward", "--instruct-model", w.Model, "--reference-model", w.OtherVocab, "-i", w.Pairs, "-o", w.File("r.jsonl"), "--template", "merlinite"], _ => "different vocabularies", w => w.File("r.jsonl")),
        ["reward-eval-input-missing"] = new(w => ["reward", "eval", "-i", w.File("nothing.jsonl"), "--instruct-model", w.Other, "--reference-model", w.Model], w => w.File("nothing.jsonl")),
        ["train-model-is-text"] = new(w => ["train", "-m", w.Text, "-i", w.Pairs, "-o", w.File("t.gguf")], w => w.Text, w => w.File("t.gguf")),
        ["train-init-adapter-missing"] = new(w => Train(w, "--init-adapter", w.File("none.gguf")), w => w.File("none.gguf"), w => w.File("t.gguf")),
        ["train-init-adapter-is-a-model"] = new(w => Train(w, "--init-adapter", w.Other), w => $"{w.Other} is not a LoRA adapter", w => w.File("t.gguf")),
        ["merge-model-is-text"] = new(w => ["lora", "merge", "-m", w.Text, "--lora", w.Adapter, "-o", w.File("m.gguf")], w => w.Text, w => w.File("m.gguf")),
        ["merge-lora-missing"] = new(w => ["lora", "merge", "-m", w.Model, "--lora", w.File("gone.gguf"), "-o", w.File("m.gguf")], w => w.File("gone.gguf"), w => w.File("m.gguf")),
        ["gguf-info-text"] = new(w => ["gguf", "info", w.Text], _ => "not a GGUF file"),
        ["gguf-info-missing"] = new(w => ["gguf", "info", w.File("absent.gguf")], w => w.File("absent.gguf")),
        ["quantize-model-missing"] = new(w => ["quantize", "-m", w.File("absent.gguf"), "-o", w.File("q.gguf")], w => w.File("absent.gguf"), w => w.File("q.gguf")),
        ["chat-model-is-text"] = new(w => ["chat", w.Text, "-p", "hi"], w => w.Text),
        ["generate-model-is-text"] = new(w => ["generate", "-m", w.Text, "-i", w.Prompts, "-o", w.File("g.jsonl")], w => w.Text, w => w.File("g.jsonl")),

        // ---- JSONL inputs
        ["input-missing"] = new(w => ["sample", "-m", w.Model, "-i", w.File("absent.jsonl"), "-o", w.File("s.jsonl")], w => w.File("absent.jsonl"), w => w.File("s.jsonl")),
        ["input-is-a-folder"] = new(w => ["sample", "-m", w.Model, "-i", w.Folder, "-o", w.File("s.jsonl")], w => w.Folder, w => w.File("s.jsonl")),
        ["jsonl-not-json"] = new(w => ["sample", "-m", w.Model, "-i", w.Input("p1.jsonl", Utf8(Lines("{\"id\":\"a\",\"prompt\":\"x\"}", "{oops"))), "-o", w.File("s.jsonl")], w => w.File("p1.jsonl") + ":2", w => w.File("s.jsonl")),
        ["jsonl-invalid-utf8"] = new(w => ["sample", "-m", w.Model, "-i", w.Input("p2.jsonl", [.. Utf8("{\"id\":\"a\",\"prompt\":\"x"), 0xFF, .. Utf8("\"}\n")]), "-o", w.File("s.jsonl")], w => w.File("p2.jsonl") + ":1: not valid UTF-8", w => w.File("s.jsonl")),
        ["jsonl-id-clash"] = new(w => ["sample", "-m", w.Model, "-i", w.Input("p3.jsonl", Utf8(Lines("{\"prompt\":\"x\"}", "{\"id\":\"1\",\"prompt\":\"y\"}"))), "-o", w.File("s.jsonl")], w => w.File("p3.jsonl") + ":2: id '1'", w => w.File("s.jsonl")),
        ["jsonl-duplicate-id"] = new(w => ["sample", "-m", w.Model, "-i", w.Input("p4.jsonl", Utf8(Lines("{\"id\":\"a\",\"prompt\":\"x\"}", "{\"id\":\"a\",\"prompt\":\"y\"}"))), "-o", w.File("s.jsonl")], w => w.File("p4.jsonl") + ":2", w => w.File("s.jsonl")),
        ["jsonl-empty"] = new(w => ["sample", "-m", w.Model, "-i", w.Input("p5.jsonl", []), "-o", w.File("s.jsonl")], w => w.File("p5.jsonl") + ": no items", w => w.File("s.jsonl")),
        ["jsonl-array-line"] = new(w => ["sample", "-m", w.Model, "-i", w.Input("p6.jsonl", Utf8("[1,2]\n")), "-o", w.File("s.jsonl")], w => w.File("p6.jsonl") + ":1: expected a JSON object", w => w.File("s.jsonl")),
        ["jsonl-no-prompt"] = new(w => ["sample", "-m", w.Model, "-i", w.Input("p7.jsonl", Utf8("{\"id\":\"a\",\"text\":\"x\"}\n")), "-o", w.File("s.jsonl")], w => w.File("p7.jsonl") + ":1: expected a string \"prompt\"", w => w.File("s.jsonl")),
        ["jsonl-unknown-role"] = new(w => ["sample", "-m", w.Model, "-i", w.Input("p8.jsonl", Utf8("{\"id\":\"a\",\"messages\":[{\"role\":\"bot\",\"content\":\"x\"}]}\n")), "-o", w.File("s.jsonl")], w => w.File("p8.jsonl") + ":1: messages[0]", w => w.File("s.jsonl")),
        ["jsonl-id-not-a-string"] = new(w => ["sample", "-m", w.Model, "-i", w.Input("p9.jsonl", Utf8("{\"id\":true,\"prompt\":\"x\"}\n")), "-o", w.File("s.jsonl")], w => w.File("p9.jsonl") + ":1: \"id\"", w => w.File("s.jsonl")),
        ["pairs-no-response"] = new(w => ["score", "-m", w.Model, "-i", w.Input("q1.jsonl", Utf8("{\"id\":\"a\",\"prompt\":\"x\"}\n")), "-o", w.File("sc.jsonl")], w => w.File("q1.jsonl") + ":1", w => w.File("sc.jsonl")),
        ["pairs-last-message-not-assistant"] = new(w => ["score", "-m", w.Model, "-i", w.Input("q2.jsonl", Utf8("{\"id\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}\n")), "-o", w.File("sc.jsonl")], w => w.File("q2.jsonl") + ":1: the last message", w => w.File("sc.jsonl")),
        ["reward-input-not-json"] = new(w => ["reward", "--instruct-model", w.Other, "--reference-model", w.Model, "-i", w.Input("q3.jsonl", Utf8("not json\n")), "-o", w.File("r.jsonl")], w => w.File("q3.jsonl") + ":1", w => w.File("r.jsonl")),
        ["train-input-invalid-utf8"] = new(w => ["train", "-m", w.Model, "-i", w.Input("q4.jsonl", [.. Utf8("{\"id\":\"a\",\"prompt\":\""), 0xC3, .. Utf8("\",\"response\":\"y\"}\n")]), "-o", w.File("t.gguf")], w => w.File("q4.jsonl") + ":1: not valid UTF-8", w => w.File("t.gguf")),
        ["train-input-empty"] = new(w => ["train", "-m", w.Model, "-i", w.Input("q5.jsonl", Utf8("\n")), "-o", w.File("t.gguf")], w => w.File("q5.jsonl"), w => w.File("t.gguf")),
        ["eval-prefs-without-chosen"] = new(w => ["reward", "eval", "-i", w.Input("q6.jsonl", Utf8("{\"id\":\"a\",\"prompt\":\"x\",\"rejected\":\"y\"}\n")), "--instruct-model", w.Other, "--reference-model", w.Model, "--template", "merlinite"], w => w.File("q6.jsonl") + ":1", w => w.File("q6.rewards.jsonl")),
        ["generate-input-not-json"] = new(w => ["generate", "-m", w.Model, "-i", w.Input("q7.jsonl", Utf8("{\n")), "-o", w.File("g.jsonl")], w => w.File("q7.jsonl") + ":1", w => w.File("g.jsonl")),
        ["prompt-longer-than-context"] = new(w => ["sample", "-m", w.Model, "-i", w.Input("q8.jsonl", Utf8($"{{\"id\":\"long\",\"prompt\":\"{string.Join(" ", Enumerable.Repeat("word", 300))}\"}}\n")), "-o", w.File("s.jsonl"), "--ctx", "64", "--parallel", "4"], _ => "--ctx: prompt 'long'", w => w.File("s.jsonl")),

        // ---- evaluation
        ["eval-unknown-kind"] = new(w => ["eval", "mmlux", "-m", w.Model, "-d", w.Prompts, "-o", w.File("e.jsonl")], _ => "mmlux", w => w.File("e.jsonl")),
        ["eval-data-missing"] = new(w => ["eval", "mmlu", "-m", w.Model, "-d", w.File("nowhere.jsonl"), "-o", w.File("e.jsonl")], w => w.File("nowhere.jsonl"), w => w.File("e.jsonl")),
        ["eval-choice-list-of-one"] = new(w => ["eval", "mmlu", "-m", w.Model, "-d", w.Input("e1.jsonl", Utf8(Lines("{\"question\":\"q\",\"choices\":[\"a\",\"b\"],\"answer\":0}", "{\"question\":\"q\",\"choices\":[\"a\"],\"answer\":0}"))), "-o", w.File("e.jsonl"), "-t", "1"], w => w.File("e1.jsonl") + ":2: \"choices\" needs at least 2", w => w.File("e.jsonl")),
        ["eval-answer-out-of-range"] = new(w => ["eval", "multiple_choice", "-m", w.Model, "-d", w.Input("e2.jsonl", Utf8("{\"question\":\"q\",\"choices\":[\"a\",\"b\"],\"answer\":\"7\"}\n")), "-o", w.File("e.jsonl"), "-t", "1"], w => w.File("e2.jsonl") + ":1: \"answer\" is 7", w => w.File("e.jsonl")),
        ["eval-gsm8k-without-final-answer"] = new(w => ["eval", "gsm8k", "-m", w.Model, "-d", w.Input("e3.jsonl", Utf8("{\"question\":\"q\",\"answer\":\"42\"}\n")), "-o", w.File("e.jsonl"), "-t", "1"], w => w.File("e3.jsonl") + ":1", w => w.File("e.jsonl")),
        ["eval-more-shots-than-examples"] = new(w => ["eval", "multiple_choice", "-m", w.Model, "-d", w.Input("e4.jsonl", Utf8("{\"question\":\"q\",\"choices\":[\"a\",\"b\"],\"answer\":0}\n")), "-k", "5", "-o", w.File("e.jsonl"), "-t", "1"], w => w.File("e4.jsonl") + ": 5-shot needs 5 examples", w => w.File("e.jsonl")),
        ["eval-mt-bench-without-judge"] = new(w => ["eval", "mt_bench", "-m", w.Model, "--template", "merlinite", "-d", w.Input("e5.jsonl", Utf8("{\"question_id\":1,\"turns\":[\"hi\"]}\n")), "-o", w.File("e.jsonl")], _ => "--judge", w => w.File("e.jsonl")),
        ["eval-judge-prompt-numbered-slot-typo"] = new(w => ["eval", "mt_bench", "-m", w.Model, "--template", "merlinite", "--judge", w.Model, "--judge-prompt", w.Input("e8.txt", Utf8("{question} {answer} {ref_anwser_1}\n")), "-d", w.Input("e9.jsonl", Utf8("{\"question_id\":1,\"turns\":[\"hi\"]}\n")), "-o", w.File("e.jsonl"), "-t", "1"], w => w.File("e8.txt") + ": unknown slot {ref_anwser_1}", w => w.File("e.jsonl")),
        ["eval-judge-prompts-bad-slot"] = new(w => ["eval", "mt_bench", "-m", w.Model, "--template", "merlinite", "--judge", w.Model, "--judge-prompts", w.Input("e10.jsonl", Utf8("{\"name\":\"single-v1\",\"type\":\"single\",\"system_prompt\":\"s\",\"prompt_template\":\"{question} {answer} {ref_answer_2}\",\"output_format\":\"[[rating]]\"}\n")), "-d", w.Input("e11.jsonl", Utf8("{\"question_id\":1,\"turns\":[\"hi\"]}\n")), "-o", w.File("e.jsonl"), "-t", "1"], w => w.File("e10.jsonl") + ":1 (single-v1): unknown slot {ref_answer_2}", w => w.File("e.jsonl")),
        ["eval-judge-prompt-and-prompts"] = new(w => ["eval", "mt_bench", "-m", w.Model, "--template", "merlinite", "--judge", w.Model, "--judge-prompt", w.Input("e12.txt", Utf8("{answer}\n")), "--judge-prompts", w.Input("e13.jsonl", Utf8("{}\n")), "-d", w.Input("e14.jsonl", Utf8("{\"question_id\":1,\"turns\":[\"hi\"]}\n")), "-o", w.File("e.jsonl"), "-t", "1"], _ => "--judge-prompts: give either --judge-prompt", w => w.File("e.jsonl")),
        ["eval-judge-prompt-unknown-slot"] = new(w => ["eval", "mt_bench", "-m", w.Model, "--template", "merlinite", "--judge", w.Model, "--judge-prompt", w.Input("e6.txt", Utf8("rate {answr}\n")), "-d", w.Input("e7.jsonl", Utf8("{\"question_id\":1,\"turns\":[\"hi\"]}\n")), "-o", w.File("e.jsonl"), "-t", "1"], w => w.File("e6.txt") + ": unknown slot {answr}", w => w.File("e.jsonl")),
        ["eval-gsm8k-empty-final-answer"] = new(w => ["eval", "gsm8k", "-m", w.Model, "-d", w.Input("e8.jsonl", Utf8(Lines("{\"question\":\"q\",\"answer\":\"#### 4\"}", "{\"question\":\"q\",\"answer\":\"so #### \"}"))), "-o", w.File("e.jsonl"), "-t", "1"], w => w.File("e8.jsonl") + ":2: \"answer\" has nothing after its final \"#### \"", w => w.File("e.jsonl")),
        ["eval-metric-of-another-kind"] = new(w => ["eval", "mmlu", "-m", w.Model, "-d", w.Prompts, "--metric", "strict", "-o", w.File("e.jsonl")], _ => "--metric", w => w.File("e.jsonl")),

        // ---- output paths
        ["out-is-a-folder"] = new(w => ["sample", "-m", w.Model, "-i", w.Prompts, "-o", w.Folder], w => $"--out {w.Folder}: is a folder"),
        ["out-under-proc"] = new(w => ["sample", "-m", w.Model, "-i", w.Prompts, "-o", "/proc/merlinite-out.jsonl"], _ => "--out /proc/merlinite-out.jsonl"),
        ["out-folder-cannot-be-made"] = new(w => ["score", "-m", w.Model, "-i", w.Pairs, "-o", "/proc/none/sc.jsonl"], _ => "--out /proc/none/sc.jsonl"),
        ["train-out-is-a-folder"] = new(w => ["train", "-m", w.Model, "-i", w.Pairs, "-o", w.Folder], w => $"--out {w.Folder}"),
        ["generate-out-under-proc"] = new(w => ["generate", "-m", w.Model, "-i", w.Prompts, "-o", "/proc/g.jsonl"], _ => "--out /proc/g.jsonl"),
        ["quantize-out-under-proc"] = new(w => ["quantize", "-m", w.Model, "-o", "/proc/q.gguf"], _ => "--out /proc/q.gguf"),
        ["out-is-the-input"] = new(w => ["sample", "-m", w.Model, "-i", w.Prompts, "-o", w.Prompts, "--restart"], w => $"--out {w.Prompts}: is also the --input file", w => w.Prompts),
        ["train-out-is-the-init-adapter"] = new(w => ["train", "-m", w.Model, "-i", w.Pairs, "-o", w.Adapter, "--init-adapter", w.Adapter, "--restart"], w => $"--out {w.Adapter}: is also the --init-adapter file", w => w.Adapter),
        ["out-through-a-linked-folder-is-the-input"] = new(w => ["sample", "-m", w.Model, "-i", w.Prompts, "-o", Path.Combine(w.LinkedFolder, "prompts.jsonl"), "--restart"], w => $"is also the --input file {w.Prompts} (the same file through a link)", w => w.Prompts),
        ["train-working-file-is-the-input"] = new(w => ["train", "-m", w.Model, "-i", w.File("tw.gguf.tokens.jsonl"), "-o", w.File("tw.gguf"), "-t", "1"], w => $"(merlinite writes {w.File("tw.gguf.tokens.jsonl")} while working)", w => w.Input("tw.gguf.tokens.jsonl", File.ReadAllBytes(w.Pairs))),
        ["generate-out-is-the-input"] = new(w => ["generate", "-m", w.Model, "-i", w.Prompts, "-o", w.Prompts], w => $"--out {w.Prompts}: is also the --input file", w => w.Prompts),
        ["generate-out-is-the-model"] = new(w => ["generate", "-m", w.Victim, "-i", w.Prompts, "-o", w.VictimLink], w => $"--out {w.VictimLink}: is also the --model file {w.Victim}", w => w.Victim),
        ["lora-import-onto-the-model"] = new(w => ["lora", "import", "-m", w.Victim, "-i", w.GoodPeft, "-o", w.Victim], w => $"--out {w.Victim}: is also the --model file", w => w.Victim),
        ["lora-import-onto-a-link-to-the-model"] = new(w => ["lora", "import", "-m", w.Victim, "-i", w.GoodPeft, "-o", w.VictimLink], w => $"--out {w.VictimLink}: is also the --model file {w.Victim} (the same file through a link)", w => w.Victim),
        ["lora-import-onto-a-hard-link-of-the-model"] = new(w => ["lora", "import", "-m", w.Victim, "-i", w.GoodPeft, "-o", w.VictimHardLink], w => $"--out {w.VictimHardLink}: is also the --model file {w.Victim}", w => w.Victim),
        ["lora-merge-onto-a-link-to-the-model"] = new(w => ["lora", "merge", "-m", w.Victim, "--lora", w.Adapter, "-o", w.VictimLink], w => $"--out {w.VictimLink}: is also the --model file", w => w.Victim),
        ["quantize-onto-a-hard-link-of-the-model"] = new(w => ["quantize", "-m", w.Victim, "-o", w.VictimHardLink, "--type", "q8_0"], w => $"--out {w.VictimHardLink}: is also the --model file", w => w.Victim),
        ["lora-export-over-someone-elses-config"] = new(w => ["lora", "export", "-m", w.Model, "-i", w.Adapter, "-o", w.ForeignPeft], w => $"{Path.Combine(w.ForeignPeft, "adapter_config.json")} exists but nothing records that merlinite lora export made it", w => Path.Combine(w.ForeignPeft, "adapter_config.json")),

        // ---- LoRA adapters that do not fit their base model
        ["lora-import-only-lora-a"] = new(w => ["lora", "import", "-m", w.Model, "-i", w.Peft("pa1", "8", ("0.self_attn.q_proj.lora_A", [4, 64])), "-o", w.File("i.gguf")], w => $"{w.File("pa1")}/adapter_model.safetensors: tensor base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight has no lora_B", w => w.File("i.gguf")),
        ["lora-import-ranks-differ"] = new(w => ["lora", "import", "-m", w.Model, "-i", w.Peft("pa2", "8", ("0.self_attn.q_proj.lora_A", [4, 64]), ("0.self_attn.q_proj.lora_B", [64, 8])), "-o", w.File("i.gguf")], _ => "q_proj.lora_A.weight has rank 4, but its lora_B", w => w.File("i.gguf")),
        ["lora-import-layer-beyond-the-model"] = new(w => ["lora", "import", "-m", w.Model, "-i", w.Peft("pa3", "8", ("99.self_attn.q_proj.lora_A", [4, 64]), ("99.self_attn.q_proj.lora_B", [64, 4])), "-o", w.File("i.gguf")], _ => "layers.99.self_attn.q_proj.lora_A.weight adapts layer 99, but the base model (2 layers, 64 wide) has layers 0..1", w => w.File("i.gguf")),
        ["lora-import-wider-than-the-model"] = new(w => ["lora", "import", "-m", w.Model, "-i", w.Peft("pa4", "8", ("0.self_attn.q_proj.lora_A", [4, 96]), ("0.self_attn.q_proj.lora_B", [96, 4])), "-o", w.File("i.gguf")], _ => "q_proj.lora_A.weight is [4, 96], but blk.0.attn_q.weight [64, 64] of the base model (2 layers, 64 wide) needs [4, 64]", w => w.File("i.gguf")),
        ["lora-import-alpha-a-string"] = new(w => ["lora", "import", "-m", w.Model, "-i", w.Peft("pa5", "\"8\"", ("0.self_attn.q_proj.lora_A", [4, 64]), ("0.self_attn.q_proj.lora_B", [64, 4])), "-o", w.File("i.gguf")], w => $"{w.File("pa5")}/adapter_config.json: lora_alpha must be a number, got \"8\"", w => w.File("i.gguf")),
        ["lora-import-alpha-missing"] = new(w => ["lora", "import", "-m", w.Model, "-i", w.Peft("pa6", "null", ("0.self_attn.q_proj.lora_A", [4, 64]), ("0.self_attn.q_proj.lora_B", [64, 4])), "-o", w.File("i.gguf")], w => $"{w.File("pa6")}/adapter_config.json: lora_alpha is missing", w => w.File("i.gguf")),
        ["lora-export-to-a-wider-model"] = new(w => ["lora", "export", "-m", w.Wide, "-i", w.Adapter, "-o", w.File("ex1")], w => $"{w.Adapter}: tensor blk.0.attn_q.weight.lora_a is [64, 4], but blk.0.attn_q.weight [96, 96] of the base model (2 layers, 96 wide) needs [96, 4]", w => w.File("ex1/adapter_model.safetensors")),
        ["out-is-someone-elses-file"] = new(w => ["sample", "-m", w.Model, "-i", w.Prompts, "-o", w.Unrelated, "-t", "1"], w => $"{w.Unrelated} exists but nothing records that merlinite sample made it", w => w.Unrelated),

        // ---- recipes
        ["recipe-missing"] = new(w => ["run", w.File("none.yaml")], w => w.File("none.yaml")),
        ["recipe-is-a-folder"] = new(w => ["run", w.Folder], w => w.Folder),
        ["recipe-unclosed-brace"] = new(w => Run(w, "r1", "name: x\nmodels:\n  policy: {base: a.gguf\nrounds:\n  max: 1\n", "--dry-run"), w => "recipe.yaml:3:"),
        ["recipe-tab"] = new(w => Run(w, "r2", "name: x\nmodels:\n\tpolicy: {}\n"), _ => "recipe.yaml:3:1: not valid YAML: a tab"),
        ["recipe-two-documents"] = new(w => Run(w, "r3", w.GoodRecipe() + "---\nname: again\n"), _ => "expected one YAML document"),
        ["recipe-invalid-utf8"] = new(w => ["run", w.Input("r4.yaml", [.. Utf8("name: x"), 0xFF, .. Utf8("\n")])], _ => "not valid UTF-8"),
        ["recipe-unknown-key"] = new(w => Run(w, "r5", w.GoodRecipe("roundz: 3")), _ => "recipe.yaml:9:1: unknown key 'roundz'"),
        ["recipe-context-below-parallel"] = new(w => Run(w, "r6", w.GoodRecipe("sampling: {parallel: 64, context: 64}"), "--dry-run"), _ => "'sampling.context'"),
        ["recipe-reward-batch-below-parallel"] = new(w => Run(w, "r7", w.GoodRecipe().Replace("reward: {template: merlinite}", "reward: {template: merlinite, parallel: 32, batch: 16}")), _ => "'reward.batch'"),
        ["recipe-broken-prompt-file"] = new(w => Run(w, "r8", w.GoodRecipe().Replace(w.Prompts, w.Input("rp1.jsonl", Utf8(Lines("{\"id\":\"a\",\"prompt\":\"x\"}", "{broken"))))), w => w.File("rp1.jsonl") + ":2"),
        ["recipe-duplicate-prompt-ids"] = new(w => Run(w, "r9", w.GoodRecipe().Replace($"[{w.Prompts}]", $"[{w.Prompts}, {w.Prompts}]")), _ => "prompt id 'a' is in both"),
        ["recipe-too-few-prompts"] = new(w => Run(w, "r10", w.GoodRecipe().Replace("per_round: 2", "per_round: 3")), _ => "fewer than per_round = 3"),
        ["recipe-model-is-text"] = new(w => Run(w, "r11", w.GoodRecipe().Replace($"base: {w.Model}", $"base: {w.Text}")), w => $"'models.policy.base': {w.Text}: not a GGUF file"),
        ["recipe-adapter-is-a-model"] = new(w => Run(w, "r12", w.GoodRecipe().Replace($"policy: {{base: {w.Model}}}", $"policy: {{base: {w.Model}, adapter: {w.Other}}}")), _ => "'models.policy.adapter'"),
        ["recipe-model-is-an-adapter"] = new(w => Run(w, "r13", w.GoodRecipe().Replace($"instruct: {{path: {w.Other}}}", $"instruct: {{path: {w.Adapter}}}")), _ => "'models.instruct.path'"),
        ["recipe-missing-model"] = new(w => Run(w, "r14", w.GoodRecipe().Replace($"instruct: {{path: {w.Other}}}", "instruct: {path: gone.gguf}")), _ => "'models.instruct.path': file not found"),
        ["recipe-lr-zero"] = new(w => Run(w, "r15", w.GoodRecipe("sft: {lr: 0}")), _ => "'sft.lr': must be greater than 0"),
        ["recipe-seed-negative"] = new(w => Run(w, "r16", w.GoodRecipe("sampling: {seed: -1}")), _ => "'sampling.seed'"),
        ["recipe-n-not-an-integer"] = new(w => Run(w, "r17", w.GoodRecipe("sampling: {n: eight}")), _ => "'sampling.n': 'eight' is not an integer"),
        ["recipe-unset-variable"] = new(w => Run(w, "r18", w.GoodRecipe().Replace("output: {dir: out}", "output:\n  dir: ${MERLINITE_UNSET_FOR_TESTS}/out")), _ => "MERLINITE_UNSET_FOR_TESTS is not set"),
        ["recipe-min-margin-negative"] = new(w => Run(w, "r19", w.GoodRecipe("selection: {min_margin: -1}")), _ => "'selection.min_margin'"),
        ["recipe-targets-unknown"] = new(w => Run(w, "r20", w.GoodRecipe("sft: {targets: [attn_z]}")), _ => "'attn_z' is not one of"),
        ["recipe-template-unknown"] = new(w => Run(w, "r21", w.GoodRecipe().Replace("reward: {template: merlinite}", "reward: {template: chatml}")), _ => "'chatml' is not one of"),
        ["recipe-empty"] = new(w => Run(w, "r22", ""), _ => "recipe.yaml:1:1"),
        ["recipe-slurm-keys-without-slurm"] = new(w => Run(w, "r23", w.GoodRecipe("cluster: {executor: local, slurm: {partition: gpu}}"), "--dry-run"), _ => "'cluster.slurm.partition': is for the slurm executor"),
        ["run-partition-without-slurm"] = new(w => Run(w, "r24", w.GoodRecipe(), "--partition", "gpu"), _ => "--partition: is for the slurm executor"),
        ["recipe-nested-100000-deep"] = new(w => Run(w, "r25", "name: x\nmodels: " + new string('[', 100_000) + new string(']', 100_000) + "\n"), _ => "recipe.yaml:2:72: nested more than 64 levels deep"),

        // ---- taxonomies
        ["taxonomy-documents-missing"] = new(w => ["taxonomy", "check", w.Taxonomy, "--documents", w.File("no-docs")], w => $"--documents: documents folder not found: {w.File("no-docs")}"),
        ["generate-data-documents-missing"] = new(w => ["generate-data", "--taxonomy", w.Taxonomy, "--documents", w.File("no-docs"), "--teacher", w.Model, "-o", w.File("gd")], w => $"--documents: documents folder not found: {w.File("no-docs")}", w => w.File("gd/report.json")),
    };

    public static TheoryData<string> Names() => new(Cases.Keys);

    [Fact]
    public void The_corpus_has_at_least_80_cases() => Assert.True(Cases.Count >= 80, $"{Cases.Count} cases");

    [Theory]
    [MemberData(nameof(Names))]
    public void A_bad_input_exits_1_or_2_with_one_line_naming_the_place_and_leaves_no_output(string name)
    {
        var c = Cases[name];
        string? output = c.Out?.Invoke(w);
        byte[]? before = output is not null && File.Exists(output) ? File.ReadAllBytes(output) : null;
        var args = c.Args(w);
        var r = MerliniteBinary.Run(args);

        Assert.True(r.ExitCode is 1 or 2, $"exit {r.ExitCode} for {name}: {r.Stderr}");
        Assert.DoesNotContain("Unhandled", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
        string place = c.Place(w);
        // A recipe's problems are listed as RECIPE:line:column: ..., then one summary line; everything else says error: ...
        bool recipe = args[0] == "run" && r.Stderr.Contains("; nothing was run");
        var errors = r.Stderr.Split('\n').Where(l => recipe ? l.StartsWith(args[1] + ":", StringComparison.Ordinal) : l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, $"{name}: expected one error line, got:\n{r.Stderr}");
        Assert.Contains(place, errors[0]);
        if (output is not null)
        {
            if (before is null) Assert.False(File.Exists(output), $"{name} left {output}");
            else Assert.Equal(before, File.ReadAllBytes(output));
        }
        if (recipe) Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(args[1])!, "out")), $"{name} created the run directory");
    }
}
