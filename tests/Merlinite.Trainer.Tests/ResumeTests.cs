using System.Globalization;
using Merlinite.Gguf;
using Xunit.Abstractions;

namespace Merlinite.Trainer.Tests;

/// <summary>
/// A trainer process killed after a checkpoint and rerun with the same flags ends with the adapter an uninterrupted
/// run produces: the checkpoint restores the LoRA weights and AdamW moments, and shuffling and dropout depend only on
/// (seed, step). Dropout, several epochs and gradient accumulation are on so that all of that is exercised.
/// </summary>
[Collection("trainer")]
public class ResumeTests(TinyModels models, ITestOutputHelper output)
{
    private const int Steps = 30;

    private string[] Flags(string data, string adapter, string checkpoints) =>
    [
        "--base", models.Mistral, "--data", data, "--out", adapter, "--checkpoint-dir", checkpoints,
        "--targets", "attn_q,attn_v,ffn_down", "--rank", "4", "--alpha", "8", "--dropout", "0.1",
        "--lr", "3e-3", "--warmup-steps", "3", "--max-steps", Steps.ToString(CultureInfo.InvariantCulture),
        "--batch-size", "2", "--grad-accum", "2", "--weight-decay", "0.01", "--seed", "17",
        "--checkpoint-every", "5", "--threads", "1",
    ];

    [Fact]
    public void A_killed_run_resumes_from_its_checkpoint_and_ends_with_the_uninterrupted_adapter()
    {
        // 6 examples of uneven length, 4 a step (batch 2 × accumulation 2): 2 optimizer steps per epoch (the last one
        // short), padding in every batch.
        var examples = Enumerable.Range(0, 6)
            .Select(i => TrainingData.Random(1, vocab: 256, promptLength: 4 + i, responseLength: 6 + 2 * i, seed: 100 + i)[0]);
        string data = TrainingData.Write(models.NewFile("resume.jsonl"), examples);

        string straight = models.NewFile("straight.gguf");
        var full = TrainerProcess.Run(Flags(data, straight, models.NewFile("ckpt-straight")));
        Assert.True(full.ExitCode == 0, full.Stderr);

        string resumed = models.NewFile("resumed.gguf");
        string checkpoints = models.NewFile("ckpt-resumed");
        var killed = TrainerProcess.Run(Flags(data, resumed, checkpoints), killWhen: e => e.GetProperty("event").GetString() == "checkpoint");
        Assert.Equal(-1, killed.ExitCode);
        Assert.Empty(killed.Events.OfKind("done"));
        Assert.False(File.Exists(resumed), "the killed run must not have written its adapter");

        var rerun = TrainerProcess.Run(Flags(data, resumed, checkpoints));
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        var start = rerun.Events.OfKind("start").Single();
        int startStep = start.GetProperty("start_step").GetInt32();
        Assert.True(start.GetProperty("resumed").GetBoolean());
        Assert.InRange(startStep, 5, Steps - 1);
        Assert.Equal(Steps - startStep, rerun.Events.OfKind("step").Count());

        double maxDiff = MaxTensorDiff(straight, resumed, out int tensors);
        double lossDiff = Math.Abs(full.Events.OfKind("done").Single().GetProperty("final_loss").GetDouble()
                                   - rerun.Events.OfKind("done").Single().GetProperty("final_loss").GetDouble());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"killed after the step-{startStep} checkpoint; resumed run vs uninterrupted: max |diff| {maxDiff:E2} over {tensors} tensors, final loss diff {lossDiff:E2}"));
        // Measured 0: checkpoints restore every bit. 1e-6 (2^-24 × 16 steps) allows a one-ulp difference per step, should
        // MKL, outside its reproducible mode, take another kernel for buffers a new process aligns differently.
        Assert.True(maxDiff <= 1e-6, $"adapters differ by up to {maxDiff}");
        Assert.True(lossDiff <= 1e-6, $"final losses differ by {lossDiff}");

        // The last epoch's mean loss (what reports show): 2 steps per epoch, so steps 29–30; the resumed run carried
        // its epoch's sum through the checkpoint. Same 1e-6 as the final loss (a mean of two such losses).
        double lastEpoch = full.Events.OfKind("step").Where(e => e.GetProperty("step").GetInt32() > Steps - 2)
            .Average(e => e.GetProperty("loss").GetDouble());
        double Reported(TrainerProcess.Result r) => r.Events.OfKind("done").Single().GetProperty("last_epoch_loss").GetDouble();
        // The same two doubles, written round-trip exact, summed in the same order: equal to far more than 9 places.
        Assert.Equal(lastEpoch, Reported(full), 9);
        Assert.True(Math.Abs(Reported(full) - Reported(rerun)) <= 1e-6, $"{Reported(full)} vs {Reported(rerun)} after resuming");
        using var adapter = GgufFile.Open(resumed);
        Assert.Equal(Reported(rerun), adapter.Metadata.Get("merlinite.training.last_epoch_loss").AsFloat64(), 12); // one value
    }

    private static double MaxTensorDiff(string a, string b, out int tensors)
    {
        using var fa = GgufFile.Open(a);
        using var fb = GgufFile.Open(b);
        Assert.Equal(fa.Tensors.Select(t => t.Name), fb.Tensors.Select(t => t.Name));
        double max = 0;
        foreach (var t in fa.Tensors)
        {
            var x = fa.ReadTensorAsFloat32(t);
            var y = fb.ReadTensorAsFloat32(t.Name);
            Assert.Equal(x.Length, y.Length);
            for (int i = 0; i < x.Length; i++) max = Math.Max(max, Math.Abs(x[i] - y[i]));
        }
        tensors = fa.Tensors.Count;
        return max;
    }
}
