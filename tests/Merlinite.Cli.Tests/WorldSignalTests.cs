namespace Merlinite.Cli.Tests;

/// <summary>`world tiny` stopped by SIGTERM while it trains: its trainer stops with it, and the rerun builds the same
/// world as the one built without a stop (the collection's, made by one uninterrupted command).</summary>
[Collection("tiny world")]
public sealed class WorldSignalTests(TinyWorld world)
{
    [Fact]
    public void Sigterm_while_training_leaves_no_process_and_the_rerun_builds_the_same_world()
    {
        string stopped = world.Dir.File("stopped-world"), built = world.Dir.File("runs/tiny/world");
        // The world's first training (its base model's pre-training) begins a few seconds in and runs for about 20 s;
        // the signal lands within 3 s of its first checkpoint. --no-lab: the part before LAB is what a stop can cut.
        int seed = SignalledRun.NewSeed();
        string[] args = ["world", "tiny", "--no-lab", "--out", stopped, "-t", "2"];
        var r = SignalledRun.Stop("TERM", args,
            () => Directory.Exists(stopped)
                  && Directory.EnumerateDirectories(stopped, "*.checkpoints", SearchOption.AllDirectories)
                      .Any(d => Directory.EnumerateFiles(d).Any()),
            TimeSpan.FromSeconds(3), stopped, seed);
        Assert.True(r.ExitCode == 143, $"exit {r.ExitCode} (seed {seed}): {r.Stderr}");
        Assert.Contains("interrupted: run the same command again to continue", r.Stderr);
        Assert.True(r.Survivors.Length == 0, $"left running (seed {seed}): {string.Join("; ", r.Survivors)}");

        var rerun = MerliniteBinary.Run(args);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        var files = Directory.GetFiles(stopped, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(stopped, f)).ToList();
        Assert.Contains("base.gguf", files);
        // Every output, byte for byte; the records beside them (*.meta.json) name their own folder, so they differ.
        foreach (var f in files.Where(f => !f.EndsWith(".meta.json", StringComparison.Ordinal)))
        {
            string same = Path.Combine(built, f);
            Assert.True(File.Exists(same), $"{f} is not in the uninterrupted world (seed {seed})");
            Assert.True(File.ReadAllBytes(same).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(stopped, f))),
                $"{f} differs from the uninterrupted world's (seed {seed})");
        }
    }
}
