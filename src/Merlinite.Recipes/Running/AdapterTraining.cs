using System.Globalization;
using Merlinite.Engine.Data;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Training;

namespace Merlinite.Recipes.Running;

/// <summary>LoRA hyper-parameters of one training run.</summary>
public sealed record AdapterHyperParameters(int Rank, float Alpha, float Dropout, IReadOnlyList<string> Targets, double LearningRate,
    int Epochs, int BatchSize, int GradAccum, int WarmupSteps, int Seed);

/// <summary>Tokenizes SFT pairs (as scoring does) and runs the trainer sidecar; resumable through its checkpoints.</summary>
public static class AdapterTraining
{
    /// <returns>The last step's loss.</returns>
    public static double Train(string basePath, IReadOnlyList<ScorePair> pairs, bool rawTemplate, string outPath,
        AdapterHyperParameters h, string? initAdapter, int threads, PhaseDisplay display, string title, CancellationToken ct)
    {
        TrainerSidecar.Locate();
        string tokens = outPath + ".tokens.jsonl";
        using (var vocab = LoadedModel.Load(new ModelLoadOptions { Path = basePath, VocabularyOnly = true, GpuLayers = 0 }))
            SftTokenizer.Write(vocab, pairs, rawTemplate ? ScoreTemplateKind.Raw : ScoreTemplateKind.Merlinite, int.MaxValue, tokens);

        var inv = CultureInfo.InvariantCulture;
        var args = new List<string>
        {
            "--base", basePath, "--data", tokens, "--out", outPath,
            "--rank", h.Rank.ToString(inv), "--alpha", h.Alpha.ToString("R", inv), "--dropout", h.Dropout.ToString("R", inv),
            "--targets", string.Join(',', h.Targets), "--lr", h.LearningRate.ToString("R", inv), "--epochs", h.Epochs.ToString(inv),
            "--batch-size", h.BatchSize.ToString(inv), "--grad-accum", h.GradAccum.ToString(inv),
            "--warmup-steps", h.WarmupSteps.ToString(inv), "--seed", h.Seed.ToString(inv),
            "--checkpoint-every", "1", "--threads", (threads > 0 ? threads : Environment.ProcessorCount).ToString(inv),
        };
        if (initAdapter is not null) args.AddRange(["--init-adapter", initAdapter]);
        TrainerResult? result = null;
        display(title, report =>
            result = TrainerSidecar.Run(args, p => report(p.TotalSteps == 0 ? 0 : (double)p.Step / p.TotalSteps,
                $"step {p.Step}/{p.TotalSteps}{(p.Loss is double l ? $" loss {l:F4}" : "")}"), ct));
        return result!.FinalLoss ?? double.NaN;
    }
}
