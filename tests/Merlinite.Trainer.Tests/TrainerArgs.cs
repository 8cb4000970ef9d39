namespace Merlinite.Trainer.Tests;

/// <summary>
/// The sidecar takes every hyper-parameter explicitly (merlinite passes them all). Tests name only the ones they are
/// about; these fill in the rest with small, fast values.
/// </summary>
public static class TrainerArgs
{
    private static readonly (string Flag, string Value)[] Filler =
    [
        ("--rank", "8"), ("--alpha", "16"), ("--dropout", "0"), ("--targets", "attn_q,attn_v"), ("--lr", "2e-4"),
        ("--warmup-steps", "0"), ("--batch-size", "1"), ("--grad-accum", "1"), ("--max-grad-norm", "1.0"),
        ("--weight-decay", "0"), ("--seed", "0"), ("--checkpoint-every", "0"), ("--threads", "2"),
        ("--dtype", "f32"), ("--device", "cpu"), ("--checkpointing", "off"),
    ];

    public static string[] Complete(IEnumerable<string> args)
    {
        var list = args.ToList();
        foreach (var (flag, value) in Filler)
            if (!list.Contains(flag)) list.AddRange([flag, value]);
        if (!list.Contains("--epochs") && !list.Contains("--max-steps")) list.AddRange(["--epochs", "1"]);
        return [.. list];
    }
}
