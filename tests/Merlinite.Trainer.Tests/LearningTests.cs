using System.Globalization;
using System.Text.Json;
using Merlinite.Trainer.Cli;
using Merlinite.Trainer.Training;
using Xunit.Abstractions;

namespace Merlinite.Trainer.Tests;

/// <summary>Training works end to end: the loss falls, and llama.cpp running the written adapter prefers the training responses.</summary>
[Collection("trainer")]
public class LearningTests(TinyModels models, ITestOutputHelper output)
{
    [Theory]
    [InlineData("mistral", "attn_q,attn_k,attn_v,attn_output,ffn_gate,ffn_up,ffn_down")]
    [InlineData("mixtral", "attn_q,attn_v,ffn_up,ffn_down")]
    public void A_few_steps_lower_the_loss_and_llama_cpp_scores_the_responses_higher_with_the_adapter(string which, string targets)
    {
        string model = models.ModelPath(which);
        var examples = TrainingData.Random(count: 4, vocab: 256, promptLength: 10, responseLength: 10, seed: 5);
        string data = TrainingData.Write(models.NewFile("learn.jsonl"), examples);
        string adapter = models.NewFile("learned.gguf");
        var options = OptionsParser.Parse(TrainerArgs.Complete([
            "--base", model, "--data", data, "--out", adapter, "--targets", targets,
            "--rank", "8", "--alpha", "16", "--lr", "5e-3", "--warmup-steps", "2", "--max-steps", "20",
            "--batch-size", "2", "--grad-accum", "2", "--seed", "3", "--threads", "2",
        ]));

        var stdout = new StringWriter();
        TrainingRun.Run(options, new ProgressWriter(stdout));
        var events = TrainerEvents.Parse(stdout.ToString());
        var steps = events.OfKind("step").ToList();
        Assert.Equal(20, steps.Count);
        double first = steps[0].GetProperty("loss").GetDouble(), last = steps[^1].GetProperty("loss").GetDouble();
        double tokensPerSecond = steps.Skip(1).Average(s => s.GetProperty("tokens_per_second").GetDouble());
        Assert.Equal(last, events.OfKind("done").Single().GetProperty("final_loss").GetDouble());

        double before = 0, after = 0;
        foreach (var ex in examples)
        {
            before += LlamaCppLogits.SummedLogProb(LlamaCppLogits.Of(model, ex.Tokens), ex.Tokens, ex.Mask);
            after += LlamaCppLogits.SummedLogProb(LlamaCppLogits.Of(model, ex.Tokens, adapter), ex.Tokens, ex.Mask);
        }
        int responseTokens = examples.Sum(e => e.Mask.Count(m => m));
        // The trainer's final loss was measured before its last update, so it sits between the two llama.cpp figures.
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{which}: loss {first:F4} -> {last:F4} over 20 steps; llama.cpp summed log-prob of the {responseTokens} response tokens " +
            $"{before:F3} -> {after:F3} (+{after - before:F3}); {tokensPerSecond:F0} tokens/s"));
        // Learning, not a tolerance: measured 9.1 → 0.1 and +360 nats; the bounds ask for much less.
        Assert.True(last < first * 0.8, $"loss went from {first} to {last}");
        Assert.True(after > before + 5, $"llama.cpp log-prob with the adapter {after} is not clearly above {before}");
        // Step 1 sees all four examples (2 × 2 accumulated) through the base model (B = 0): llama.cpp agrees on that loss.
        // Both in float32: measured at most 8.7e-7 apart; 3 places (5e-4) is the ε × depth bound of ParityTests.
        Assert.Equal(-before / responseTokens, first, 3);
    }
}
