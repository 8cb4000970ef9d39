using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Merlinite.Trainer.Cli;
using Merlinite.Trainer.Lora;

namespace Merlinite.Trainer.Training;

/// <summary>
/// A hash of everything that decides a run's result: the settings, the data's and init adapter's contents, and the
/// base model's identity (name and size: hashing gigabytes of weights on every start would cost minutes). Threads,
/// checkpoint frequency and output paths are left out: they do not change what is computed.
/// </summary>
public static class RunFingerprint
{
    public static string Compute(TrainerOptions o)
    {
        var text = new StringBuilder();
        void Add(string key, object? value) => text.Append(key).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');
        var baseInfo = new FileInfo(o.BasePath);
        Add("base", $"{baseInfo.Name}:{baseInfo.Length}");
        Add("data", HashFile(o.DataPath));
        Add("init-adapter", o.InitAdapter is null ? "" : HashFile(o.InitAdapter));
        Add("rank", o.Rank);
        Add("alpha", o.Alpha);
        Add("dropout", o.Dropout);
        Add("targets", string.Join(",", LoraTargets.All.Where(o.Targets.Contains).Select(LoraTargets.FlagName))); // order-free, as attached
        Add("lr", o.LearningRate);
        Add("warmup", o.WarmupSteps);
        Add("epochs", o.Epochs);
        Add("max-steps", o.MaxSteps);
        Add("batch", o.BatchSize);
        Add("accum", o.GradAccum);
        Add("clip", o.MaxGradNorm);
        Add("wd", o.WeightDecay);
        Add("seed", o.Seed);
        Add("max-seq-len", o.MaxSeqLen);
        Add("reproducible", o.Reproducible);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static string HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
