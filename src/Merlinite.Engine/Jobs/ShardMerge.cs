using Merlinite.Engine.Outputs;

namespace Merlinite.Engine.Jobs;

/// <summary>One output of a sharded job: the one-process file and its record, and shard K's file and record.</summary>
public sealed record ShardedOutput(OutputFile Whole, Func<Fingerprint> Made, Func<Shard, (OutputFile Part, Fingerprint Made)> Part);

/// <summary>Joins the outputs of shards 0..N-1 of a JSONL job into the one-process output: their lines in shard order.</summary>
public static class ShardMerge
{
    /// <summary>Shard K's output path for OUT: OUT with ".shard-K-of-N" before the extension.</summary>
    public static string ShardPath(string output, Shard shard) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!,
            $"{Path.GetFileNameWithoutExtension(output)}.shard-{shard.Index}-of-{shard.Count}{Path.GetExtension(output)}");

    /// <summary>
    /// Writes each whole output (atomically, under the one-process record) from its shards' complete outputs, then
    /// removes the shard files, so the run folder is that of a one-process run. A shard whose output is missing,
    /// unfinished or recorded as made differently (a stale file from an edited recipe) is an error naming it: the join
    /// never writes a shorter or mixed file. An output already complete under its record is kept as it is.
    /// </summary>
    public static void Join(int count, params ShardedOutput[] outputs)
    {
        var shards = Enumerable.Range(0, count).Select(k => new Shard(k, count)).ToList();
        foreach (var o in outputs)
        {
            if (o.Whole.Prepare(o.Made(), ReuseRule.ResumeOrRecompute)) continue;
            o.Whole.Guard(() =>
            {
                var parts = shards.Select(s => (Shard: s, Part: o.Part(s))).ToList();
                foreach (var (s, (part, made)) in parts)
                {
                    var check = part.Check(made);
                    if (check.Status != OutputStatus.Complete)
                        throw new InvalidOperationException($"shard {s} has not finished {part.Name}: " + check.Status switch
                        {
                            OutputStatus.Missing => "the file is not there",
                            OutputStatus.Partial => "only its .partial file is there (the shard stopped before the end)",
                            _ => "the file there was made by different settings (run the shard again)",
                        });
                }
                AtomicFile.WriteAllText(o.Whole.Path, string.Concat(parts.Select(p => File.ReadAllText(p.Part.Part.Path))));
                return 0;
            });
            o.Whole.RemoveWorkingFiles();
        }
        foreach (var o in outputs)
            foreach (var s in shards) o.Part(s).Part.Clear();
    }
}
