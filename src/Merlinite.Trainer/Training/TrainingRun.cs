using System.Diagnostics;
using Merlinite.Trainer.Cli;
using Merlinite.Trainer.Data;
using Merlinite.Trainer.Lora;
using Merlinite.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Training;

/// <summary>One LoRA supervised fine-tuning run, start (or resume) to adapter file.</summary>
public static class TrainingRun
{
    /// <summary>Trains and writes the adapter to <see cref="TrainerOptions.OutPath"/>; returns the last step's loss.</summary>
    public static double Run(TrainerOptions o, ProgressWriter progress)
    {
        torch.set_num_threads(o.Threads);
        var model = ModelLoader.Load(o.BasePath);
        var data = LoadData(o, model);
        var plan = new TrainingPlan(data.Count, o.BatchSize, o.GradAccum, o.Epochs, o.MaxSteps, o.Seed);

        using (var generator = new Generator(Seeds.Derive(o.Seed, (long)Seeds.Init)))
            model.AttachAdapters(new LoraConfig(o.Rank, o.Alpha, o.Dropout, o.Targets), generator);
        if (o.InitAdapter is not null) AdapterFile.LoadInto(o.InitAdapter, model, o.Alpha);
        var adapters = model.Adapters;
        var parameters = adapters.SelectMany(a => new[] { a.A, a.B }).ToList();
        var optimizer = new AdamW(parameters, o.WeightDecay);

        string fingerprint = RunFingerprint.Compute(o);
        var state = new Checkpoint.State(0, double.NaN);
        if (o.CheckpointEvery > 0 && Checkpoint.TryLoad(o.ResolvedCheckpointDir, fingerprint, adapters, optimizer) is { } restored)
            state = restored;

        progress.Start(o.BasePath, data.Count, plan.TotalSteps, state.CompletedSteps, parameters.Sum(p => p.numel()), adapters.Count);
        model.SetTraining(true);
        for (int step = state.CompletedSteps; step < plan.TotalSteps; step++)
        {
            var stopwatch = Stopwatch.StartNew();
            var (loss, tokens, gradNorm) = TrainStep(model, parameters, data, plan.MicroBatches(step), step, o);
            double lr = LearningRateSchedule.At(step, plan.TotalSteps, o.WarmupSteps, o.LearningRate);
            optimizer.Step(lr, step + 1);
            optimizer.ZeroGrad();
            if (!double.IsFinite(loss)) throw new TrainerException($"the loss became {loss} at step {step + 1}; try a lower --lr");
            state = new Checkpoint.State(step + 1, loss);
            progress.Step(step + 1, plan.TotalSteps, loss, lr, gradNorm, tokens / stopwatch.Elapsed.TotalSeconds);

            if (o.CheckpointEvery > 0 && (step + 1) % o.CheckpointEvery == 0)
                progress.Checkpoint(step + 1, Checkpoint.Save(o.ResolvedCheckpointDir, fingerprint, state, adapters, optimizer));
        }

        AdapterFile.Write(o.OutPath, adapters, o.Alpha, plan.TotalSteps, state.LastLoss);
        progress.Done(Path.GetFullPath(o.OutPath), state.LastLoss, plan.TotalSteps);
        return state.LastLoss;
    }

    private static IReadOnlyList<TrainingExample> LoadData(TrainerOptions o, LlamaModel model)
    {
        int context = model.Hp.ContextLength;
        bool flagLimits = o.MaxSeqLen is int m && m <= context;
        return JsonlDataset.Load(o.DataPath, model.Hp.VocabSize,
            flagLimits ? o.MaxSeqLen!.Value : context,
            flagLimits ? "--max-seq-len" : "the model's context length");
    }

    /// <summary>
    /// Forward and backward over the step's micro-batches, accumulating gradients. The loss is the mean over every
    /// loss token of the whole step, so the result does not depend on how the step is split into micro-batches.
    /// Returns that mean loss, the tokens processed, and the gradient norm (before clipping, which this applies).
    /// </summary>
    private static (double Loss, int Tokens, double GradNorm) TrainStep(LlamaModel model, IReadOnlyList<Tensor> parameters,
        IReadOnlyList<TrainingExample> data, IReadOnlyList<int[]> microBatches, int step, TrainerOptions o)
    {
        int lossTokens = microBatches.Sum(mb => mb.Sum(i => data[i].LossTokenCount));
        double lossSum = 0;
        int tokens = 0;
        for (int j = 0; j < microBatches.Count; j++)
        {
            using var scope = NewDisposeScope();
            // Dropout masks depend only on (seed, step, micro-batch): identical whether or not the run was resumed.
            torch.manual_seed((long)Seeds.Derive(o.Seed, (long)Seeds.Dropout, step, j));
            var batch = Batch.Collate(microBatches[j].Select(i => data[i]).ToList());
            var loss = model.LossSum(batch.Tokens, batch.Positions, batch.Targets);
            (loss / lossTokens).backward();
            lossSum += loss.item<float>();
            tokens += batch.TokenCount;
        }
        double gradNorm = GradientClipping.ClipGlobalNorm(parameters, o.MaxGradNorm);
        return (lossSum / lossTokens, tokens, gradNorm);
    }
}
