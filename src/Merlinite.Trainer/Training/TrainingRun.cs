using System.Diagnostics;
using Merlinite.Gguf;
using Merlinite.Gguf.Architecture;
using Merlinite.Trainer.Cli;
using Merlinite.Trainer.Data;
using Merlinite.Trainer.Lora;
using Merlinite.Trainer.Model;
using Merlinite.Trainer.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Training;

/// <summary>One LoRA supervised fine-tuning run, start (or resume) to adapter file.</summary>
public static class TrainingRun
{
    /// <summary>Trains and writes the adapter to <see cref="TrainerOptions.OutPath"/>; returns the last step's loss.
    /// With <see cref="TrainerOptions.DryRun"/> it only plans: nothing is loaded.</summary>
    public static double Run(TrainerOptions o, ProgressWriter progress)
    {
        // libtorch's code paths, then the device: both have to be settled before anything touches TorchSharp.
        if (o.Reproducible) ReproducibleNumerics.Apply(o.Device);
        var device = Devices.Resolve(o.Reproducible ? "cpu" : o.Device);
        torch.set_num_threads(o.Reproducible ? ReproducibleNumerics.Threads : o.Threads);
        var dtype = Precision.Parse(o.Dtype);
        var hp = ReadHyperParameters(o.BasePath);
        var data = LoadData(o, hp);
        var plan = new TrainingPlan(data.Count, o.BatchSize, o.GradAccum, o.Epochs, o.MaxSteps, o.Seed);

        // The memory plan decides before anything is loaded: a run that cannot fit says what to change.
        var (checkpointing, memory) = PlanMemory(o, hp, data, dtype, device);
        long free = Devices.FreeBytes(device);
        progress.Plan(memory, checkpointing, free, Precision.Name(dtype), device.ToString());
        if (o.DryRun) return double.NaN;
        if (memory.Total > free)
            throw new TrainerException($"the memory plan needs {TrainingMemory.Gib(memory.Total)} ({memory.Describe()}) but {device} has " +
                                       $"{TrainingMemory.Gib(free)} free; {Advice(o, dtype, checkpointing)}", kind: "memory_plan");
        if (device.type == DeviceType.CPU) HostHeap.Choose(memory.Total, free);

        long? gpuUsedBefore = Devices.UsedBytes(device);
        var clock = Stopwatch.StartNew();
        var model = ModelLoader.Load(o.BasePath, dtype, device);
        double loadSeconds = clock.Elapsed.TotalSeconds;
        model.Checkpointing = checkpointing;
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

        progress.Start(o.BasePath, data.Count, plan.TotalSteps, state.CompletedSteps, parameters.Sum(p => p.numel()), adapters.Count,
            loadSeconds, ProcessMemory.ResidentBytes());
        model.SetTraining(true);
        for (int step = state.CompletedSteps; step < plan.TotalSteps; step++)
        {
            var stopwatch = Stopwatch.StartNew();
            var (loss, tokens, gradNorm) = TrainStep(model, parameters, data, MicroBatches(o, plan, data, step), step, o);
            double lr = LearningRateSchedule.At(step, plan.TotalSteps, o.WarmupSteps, o.LearningRate);
            optimizer.Step(lr, step + 1);
            optimizer.ZeroGrad();
            if (!double.IsFinite(loss)) throw new TrainerException($"the loss became {loss} at step {step + 1}; try a lower --lr");
            state = state.After(step, loss, plan.StepsPerEpoch);
            progress.Step(step + 1, plan.TotalSteps, loss, lr, gradNorm, tokens / stopwatch.Elapsed.TotalSeconds, stopwatch.Elapsed.TotalSeconds);

            if (o.CheckpointEvery > 0 && (step + 1) % o.CheckpointEvery == 0)
                progress.Checkpoint(step + 1, Checkpoint.Save(o.ResolvedCheckpointDir, fingerprint, state, adapters, optimizer));
        }

        AdapterFile.Write(o.OutPath, adapters, o.Alpha, plan.TotalSteps, state.LastLoss, state.EpochLoss);
        long? gpuBytes = Devices.UsedBytes(device) - gpuUsedBefore;
        progress.Done(Path.GetFullPath(o.OutPath), state.LastLoss, state.EpochLoss, plan.TotalSteps,
            ProcessMemory.PeakResidentBytes(), gpuBytes);
        return state.LastLoss;
    }

    private static LlamaHyperParameters ReadHyperParameters(string path)
    {
        if (!File.Exists(path)) throw new TrainerException($"{path}: base model not found");
        using var file = GgufFile.Open(path);
        return LlamaHyperParameters.FromGguf(file);
    }

    private static IReadOnlyList<TrainingExample> LoadData(TrainerOptions o, LlamaHyperParameters hp)
    {
        int context = hp.ContextLength;
        bool flagLimits = o.MaxSeqLen is int m && m <= context;
        return JsonlDataset.Load(o.DataPath, hp.VocabSize,
            flagLimits ? o.MaxSeqLen!.Value : context,
            flagLimits ? "--max-seq-len" : "the model's context length");
    }

    /// <summary>The step's examples as micro-batches: batch_size padded rows each, or packed up to --max-batch-tokens.</summary>
    private static IReadOnlyList<int[]> MicroBatches(TrainerOptions o, TrainingPlan plan, IReadOnlyList<TrainingExample> data, int step) =>
        o.MaxBatchTokens is int budget ? Batch.ByTokenBudget(plan.MicroBatches(step).SelectMany(m => m), data, budget) : plan.MicroBatches(step);

    /// <summary>The plan for the largest micro-batch the data will give; checkpointing "auto" is on only when needed to fit.</summary>
    private static (bool Checkpointing, TrainingMemory Memory) PlanMemory(TrainerOptions o, LlamaHyperParameters hp,
        IReadOnlyList<TrainingExample> data, ScalarType dtype, Device device)
    {
        var lengths = data.Select(d => d.Tokens.Length).OrderDescending().ToList();
        int rows, seq;
        if (o.MaxBatchTokens is int budget)
            (rows, seq) = (1, Math.Max(lengths[0], Math.Min(budget, lengths.Sum())));
        else
            (rows, seq) = (Math.Min(o.BatchSize, lengths.Count), lengths[0]);
        int lossTokens = Math.Min(rows * seq, data.Sum(d => d.LossTokenCount));
        TrainingMemory Plan(bool checkpointing) => TrainingMemoryPlan.Estimate(hp, new TrainingShape(Precision.Bytes(dtype), o.Rank,
            o.Targets.Select(LoraTargets.FlagName).ToList(), rows, seq, lossTokens, checkpointing, device.type == DeviceType.CUDA));
        bool on = o.Checkpointing switch
        {
            "on" => true,
            "off" => false,
            _ => Plan(false).Total > Devices.FreeBytes(device),
        };
        return (on, Plan(on));
    }

    private static string Advice(TrainerOptions o, ScalarType dtype, bool checkpointing)
    {
        var tips = new List<string>();
        if (dtype == ScalarType.Float32) tips.Add("--dtype bf16 halves the weights");
        if (!checkpointing) tips.Add("--checkpointing on keeps one block's activations instead of all");
        tips.Add(o.MaxBatchTokens is int b ? $"a smaller --max-batch-tokens than {b}" : "--max-batch-tokens (or a smaller --batch-size) shrinks the activations");
        tips.Add("a smaller --rank or fewer --targets shrinks the LoRA state");
        return string.Join("; ", tips);
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
            // Dropout masks depend only on (seed, step, micro-batch, layer): the same whether or not the run was resumed,
            // and the same when a checkpointed block is recomputed.
            int microBatch = j;
            model.ReseedBlock = layer => torch.manual_seed((long)Seeds.Derive(o.Seed, (long)Seeds.Dropout, step, microBatch, layer));
            var examples = microBatches[j].Select(i => data[i]).ToList();
            var batch = o.MaxBatchTokens is null ? Batch.Collate(examples, model.Device) : Batch.Pack(examples, model.Device);
            var loss = model.LossSum(batch.Tokens, batch.Context, batch.Positions, batch.Targets);
            (loss / lossTokens).backward();
            BlockCheckpoint.ReleaseGradients();
            lossSum += loss.item<float>();
            tokens += batch.TokenCount;
        }
        double gradNorm = GradientClipping.ClipGlobalNorm(parameters, o.MaxGradNorm);
        // Tensors that TorchSharp wrapped outside any dispose scope (the gradients autograd passes into a checkpointed
        // block's backward, on CUDA's autograd thread) are freed only by their finalizers: run them every step, so
        // that GPU memory does not wait for a garbage collection the small managed heap would rarely trigger.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return (lossSum / lossTokens, tokens, gradNorm);
    }
}
