using Merlinite.Engine.Outputs;

namespace Merlinite.Engine.Jobs;

/// <summary>Joins the outputs of shards 0..N-1 of a JSONL job into the one-process output: their lines in shard order.</summary>
public static class ShardMerge
{
    /// <summary>Shard K's output path for OUT: OUT with ".shard-K-of-N" before the extension.</summary>
    public static string ShardPath(string output, Shard shard) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!,
            $"{Path.GetFileNameWithoutExtension(output)}.shard-{shard.Index}-of-{shard.Count}{Path.GetExtension(output)}");

    /// <summary>Writes <paramref name="output"/> (atomically) from every shard's complete output; a missing shard is an
    /// error naming it, never a shorter file.</summary>
    public static void Concatenate(string output, int shards)
    {
        var parts = Enumerable.Range(0, shards).Select(k => ShardPath(output, new Shard(k, shards))).ToList();
        if (parts.FirstOrDefault(p => !File.Exists(p)) is { } missing)
            throw new FileNotFoundException($"shard output not found: {missing} (that shard has not finished)", missing);
        AtomicFile.WriteAllText(output, string.Concat(parts.Select(File.ReadAllText)));
    }
}
