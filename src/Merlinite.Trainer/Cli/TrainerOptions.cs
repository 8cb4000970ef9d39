using Merlinite.Trainer.Lora;

namespace Merlinite.Trainer.Cli;

/// <summary>
/// Everything one training run is configured with (one command-line flag each; see <see cref="OptionsParser"/>).
/// The hyper-parameters have no defaults here: the sidecar is always started by `merlinite train` or a recipe, which
/// pass every one of them from the Engine's TrainSettings, the single place their defaults live.
/// </summary>
public sealed record TrainerOptions
{
    public required string BasePath { get; init; }
    /// <summary>bf16, f16 or f32: the frozen weights' dtype (see Runtime/Precision).</summary>
    public required string Dtype { get; init; }
    /// <summary>cpu, cuda, cuda:N or auto (see Runtime/Devices).</summary>
    public required string Device { get; init; }
    /// <summary>on, off, or auto: on when the memory plan says the run fits only with it.</summary>
    public required string Checkpointing { get; init; }
    /// <summary>Micro-batches packed up to this many tokens (examples end to end in one row); null: batch_size rows of
    /// one example each.</summary>
    public int? MaxBatchTokens { get; init; }
    /// <summary>Print the memory plan and exit.</summary>
    public bool DryRun { get; init; }
    public required string DataPath { get; init; }
    public required string OutPath { get; init; }

    public required int Rank { get; init; }
    public required float Alpha { get; init; }
    public required float Dropout { get; init; }
    public required IReadOnlyList<LoraTarget> Targets { get; init; }

    public required double LearningRate { get; init; }
    public required int WarmupSteps { get; init; }
    /// <summary>Passes over the data; ignored when <see cref="MaxSteps"/> is set without it.</summary>
    public int? Epochs { get; init; }
    /// <summary>Optimizer steps; caps <see cref="Epochs"/> when both are given.</summary>
    public int? MaxSteps { get; init; }
    public required int BatchSize { get; init; }
    public required int GradAccum { get; init; }
    /// <summary>Global gradient-norm clip; 0 disables clipping.</summary>
    public required double MaxGradNorm { get; init; }
    public required double WeightDecay { get; init; }
    public required int Seed { get; init; }

    /// <summary>Checkpoint every this many optimizer steps; 0 disables checkpoints (and resuming).</summary>
    public required int CheckpointEvery { get; init; }
    public string? CheckpointDir { get; init; }
    public string? InitAdapter { get; init; }
    public required int Threads { get; init; }
    /// <summary>merlinite's reproducible mode: see <see cref="Runtime.ReproducibleNumerics"/>.</summary>
    public bool Reproducible { get; init; }
    /// <summary>Longest allowed example; null: the model's context length.</summary>
    public int? MaxSeqLen { get; init; }

    /// <summary>Where checkpoints go: --checkpoint-dir, or "OUT.checkpoints" beside the adapter.</summary>
    public string ResolvedCheckpointDir => CheckpointDir ?? OutPath + ".checkpoints";
}
