using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Jobs;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> (0-based, "K/N" on command lines): a contiguous run of a job's
/// blocks. Work is split on the block grid the job already uses for resume (each block starts from an empty KV cache),
/// so a shard's lines are byte for byte those of the same blocks in a one-process run, and the shards' outputs
/// concatenated in order are the one-process output.
/// </summary>
public sealed record Shard(int Index, int Count)
{
    public override string ToString() => $"{Index}/{Count}";

    public static Shard Parse(string text, string key = "shard")
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int k) || !int.TryParse(parts[1], out int n))
            throw new SettingException(key, $"'{text}' is not K/N (shard K of N, counted from 0, e.g. 0/4)");
        if (n < 1 || k < 0 || k >= n) throw new SettingException(key, $"'{text}': K must be 0 to N-1 and N at least 1");
        return new Shard(k, n);
    }

    /// <summary>The blocks [First, End) of <paramref name="blocks"/> that this shard does: as even as whole blocks allow.</summary>
    public (int First, int End) Blocks(int blocks) => ((int)((long)blocks * Index / Count), (int)((long)blocks * (Index + 1) / Count));

    /// <summary>This shard's items of <paramref name="items"/> when they run in blocks of <paramref name="blockSize"/>:
    /// the slice starts on a block boundary of the whole list, so its own blocks are the whole run's blocks.</summary>
    public IReadOnlyList<T> Slice<T>(IReadOnlyList<T> items, int blockSize)
    {
        var (first, end) = Blocks((items.Count + blockSize - 1) / blockSize);
        int from = first * blockSize, to = Math.Min(items.Count, end * blockSize);
        return items.Skip(from).Take(to - from).ToList();
    }
}
