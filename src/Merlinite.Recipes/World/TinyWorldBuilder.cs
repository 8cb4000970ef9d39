using System.Text.Json.Nodes;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Gguf.Lora;
using Merlinite.Recipes.Running;
using Merlinite.Synth;

namespace Merlinite.Recipes.World;

/// <summary>
/// Builds the tiny world recipes/tiny.yaml runs in, from nothing, on the CPU: a random-weight model is pre-trained on
/// instructions whose answers are right about half of the time (the base: it knows the format and answers
/// inconsistently), then tuned further on right answers only (the instruct reward model). The reference model is the
/// base, and so is the starting policy. Each step's output is skipped when it already exists, so a rebuild is free.
/// </summary>
public static class TinyWorldBuilder
{
    public const string BaseFile = "base.gguf", InstructFile = "instruct.gguf", PromptsFile = "prompts.jsonl";

    public static void Build(string dir, TinyWorldOptions o, int threads, PhaseDisplay display, TextWriter log, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        string random = Path.Combine(dir, "random.gguf");
        if (!File.Exists(random))
        {
            var dims = new SynthDimensions
            {
                EmbeddingLength = o.EmbeddingLength, BlockCount = o.BlockCount, HeadCount = o.HeadCount, HeadCountKv = o.HeadCount,
                FeedForwardLength = o.FeedForwardLength, ContextLength = 1024,
            };
            ModelSynthesizer.Synthesize(new SynthOptions { Arch = SynthArch.Mistral, Preset = SynthPreset.Tiny, Dimensions = dims, Seed = o.Seed, Name = "tiny-world" }, random);
            log.WriteLine($"tiny world: synthesized {random}");
        }

        var rng = new Random((int)o.Seed);
        var pretrain = Examples(o.PretrainExamples, rng, wrongShare: o.WrongShare, "pre");
        var instruct = Examples(o.InstructExamples, rng, wrongShare: 0, "ins");
        WritePrompts(Path.Combine(dir, PromptsFile), o.Prompts, rng);

        var h = new AdapterHyperParameters(o.Rank, o.Rank, 0, ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"],
            o.LearningRate, o.PretrainEpochs, o.BatchSize, 1, 10, (int)o.Seed);
        string baseModel = Path.Combine(dir, BaseFile);
        if (!File.Exists(baseModel))
            TrainAndMerge(random, pretrain, h, Path.Combine(dir, "pretrain-adapter.gguf"), baseModel, threads, display, "tiny world: pre-train the base", ct);
        string instructModel = Path.Combine(dir, InstructFile);
        if (!File.Exists(instructModel))
            TrainAndMerge(baseModel, instruct, h with { Epochs = o.InstructEpochs, Seed = (int)o.Seed + 1 }, Path.Combine(dir, "instruct-adapter.gguf"),
                instructModel, threads, display, "tiny world: tune the instruct model on right answers", ct);
    }

    private static List<ScorePair> Examples(int count, Random rng, double wrongShare, string prefix) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var task = TinyTasks.Make(TinyTasks.Sources[i % TinyTasks.Sources.Length], rng);
            string answer = rng.NextDouble() < wrongShare ? task.Wrong : task.Right;
            return new ScorePair($"{prefix}{i}", [ChatMessage.User(task.Prompt)], answer);
        }).ToList();

    /// <summary>Prompts with their right answers, for sampling and the held-out checker.</summary>
    private static void WritePrompts(string path, int count, Random rng)
    {
        var lines = Enumerable.Range(0, count).Select(i =>
        {
            var task = TinyTasks.Make(TinyTasks.Sources[i % TinyTasks.Sources.Length], rng);
            return new JsonObject { ["id"] = $"t{i}", ["source"] = task.Source, ["prompt"] = task.Prompt, ["answer"] = task.Right }.ToJsonString();
        });
        File.WriteAllLines(path + ".tmp", lines);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static void TrainAndMerge(string model, IReadOnlyList<ScorePair> data, AdapterHyperParameters h, string adapter, string merged,
        int threads, PhaseDisplay display, string title, CancellationToken ct)
    {
        AdapterTraining.Train(model, data, rawTemplate: false, adapter, h, null, threads, display, title, ct);
        LoraMerger.Merge(model, [(adapter, 1.0f)], merged);
    }
}
