using Merlinite.Trainer.Lora;

namespace Merlinite.Trainer.Cli;

/// <summary>Everything one training run is configured with (one command-line flag each; see <see cref="OptionsParser"/>).</summary>
public sealed record TrainerOptions
{
    public required string BasePath { get; init; }
    public required string DataPath { get; init; }
    public required string OutPath { get; init; }

    public int Rank { get; init; } = 8;
    public float Alpha { get; init; } = 16;
    public float Dropout { get; init; }
    public IReadOnlyList<LoraTarget> Targets { get; init; } = [LoraTarget.AttnQ, LoraTarget.AttnV];

    public double LearningRate { get; init; } = 2e-4;
    public int WarmupSteps { get; init; }
    /// <summary>Passes over the data; ignored when <see cref="MaxSteps"/> is set without it.</summary>
    public int? Epochs { get; init; }
    /// <summary>Optimizer steps; caps <see cref="Epochs"/> when both are given.</summary>
    public int? MaxSteps { get; init; }
    public int BatchSize { get; init; } = 1;
    public int GradAccum { get; init; } = 1;
    /// <summary>Global gradient-norm clip; 0 disables clipping.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    public double WeightDecay { get; init; }
    public int Seed { get; init; }

    /// <summary>Checkpoint every this many optimizer steps; 0 disables checkpoints (and resuming).</summary>
    public int CheckpointEvery { get; init; }
    public string? CheckpointDir { get; init; }
    public string? InitAdapter { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Longest allowed example; null: the model's context length.</summary>
    public int? MaxSeqLen { get; init; }

    /// <summary>Where checkpoints go: --checkpoint-dir, or "OUT.checkpoints" beside the adapter.</summary>
    public string ResolvedCheckpointDir => CheckpointDir ?? OutPath + ".checkpoints";
}
