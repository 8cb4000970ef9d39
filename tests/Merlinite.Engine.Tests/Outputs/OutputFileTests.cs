using Merlinite.Engine.Outputs;

namespace Merlinite.Engine.Tests.Outputs;

/// <summary>An output is keyed by what made it: the same fingerprint resumes or keeps, another one refuses.</summary>
public sealed class OutputFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-outputs-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string File(string name) => Path.Combine(_dir, name);

    private static Fingerprint Made(int n, string input) => new Fingerprint("sample").AddFile("input", input).Add("n", n);

    [Fact]
    public void A_complete_output_made_the_same_way_is_kept_and_one_made_otherwise_is_refused_naming_the_setting()
    {
        System.IO.File.WriteAllText(File("in.jsonl"), "{}\n");
        var output = new OutputFile(File("out.jsonl"));
        Assert.False(output.Prepare(Made(2, File("in.jsonl")), ReuseRule.ResumeOrRefuse));
        System.IO.File.WriteAllText(output.Path, "done\n");

        Assert.True(output.Prepare(Made(2, File("in.jsonl")), ReuseRule.ResumeOrRefuse));
        var e = Assert.Throws<StaleOutputException>(() => output.Prepare(Made(8, File("in.jsonl")), ReuseRule.ResumeOrRefuse));
        Assert.Equal(("n", "2", "8"), (e.Check.Difference!.Key, e.Check.Difference.Then, e.Check.Difference.Now));
        Assert.False(e.Check.PartialOnly);
        Assert.Equal("done\n", System.IO.File.ReadAllText(output.Path)); // refusing touches nothing

        // A recipe recomputes instead: the old output is gone and the new fingerprint recorded.
        Assert.False(output.Prepare(Made(8, File("in.jsonl")), ReuseRule.ResumeOrRecompute));
        Assert.False(System.IO.File.Exists(output.Path));
        Assert.Equal(OutputStatus.Missing, output.Check(Made(8, File("in.jsonl"))).Status);
    }

    [Fact]
    public void An_input_whose_content_changed_is_a_difference_even_at_the_same_path()
    {
        System.IO.File.WriteAllText(File("in.jsonl"), "{\"a\":1}\n");
        var output = new OutputFile(File("out.jsonl"));
        output.Prepare(Made(2, File("in.jsonl")), ReuseRule.ResumeOrRefuse);
        System.IO.File.WriteAllText(output.Path, "done\n");
        System.IO.File.WriteAllText(File("in.jsonl"), "{\"a\":2}\n");
        var check = output.Check(Made(2, File("in.jsonl")));
        Assert.Equal(OutputStatus.Stale, check.Status);
        Assert.Equal("input", check.Difference!.Key);
        Assert.Contains("in.jsonl (sha ", check.Difference.Now);
    }

    [Fact]
    public void A_partial_output_resumes_only_with_the_same_fingerprint()
    {
        System.IO.File.WriteAllText(File("in.jsonl"), "{}\n");
        var output = new OutputFile(File("out.jsonl"));
        output.Prepare(Made(2, File("in.jsonl")), ReuseRule.ResumeOrRefuse);
        System.IO.File.WriteAllText(output.PartialPath, "half\n");

        Assert.Equal(OutputStatus.Partial, output.Check(Made(2, File("in.jsonl"))).Status);
        Assert.False(output.Prepare(Made(2, File("in.jsonl")), ReuseRule.ResumeOrRefuse));
        Assert.Equal("half\n", System.IO.File.ReadAllText(output.PartialPath)); // kept for the job to resume
        var e = Assert.Throws<StaleOutputException>(() => output.Prepare(Made(3, File("in.jsonl")), ReuseRule.ResumeOrRefuse));
        Assert.True(e.Check.PartialOnly);

        Assert.False(output.Prepare(Made(3, File("in.jsonl")), ReuseRule.Recompute));
        Assert.False(System.IO.File.Exists(output.PartialPath));
    }

    [Fact]
    public void A_file_nothing_records_is_not_taken_for_an_output_and_a_leftover_partial_without_record_is_dropped()
    {
        System.IO.File.WriteAllText(File("in.jsonl"), "{}\n");
        System.IO.File.WriteAllText(File("mine.jsonl"), "the user's own file\n");
        var output = new OutputFile(File("mine.jsonl"));
        var e = Assert.Throws<StaleOutputException>(() => output.Prepare(Made(1, File("in.jsonl")), ReuseRule.ResumeOrRefuse));
        Assert.Null(e.Check.Difference);
        Assert.Equal("the user's own file\n", System.IO.File.ReadAllText(output.Path));

        var other = new OutputFile(File("other.jsonl"));
        System.IO.File.WriteAllText(other.PartialPath, "from an older version\n");
        Assert.Equal(OutputStatus.Missing, other.Check(Made(1, File("in.jsonl"))).Status);
        Assert.False(other.Prepare(Made(1, File("in.jsonl")), ReuseRule.ResumeOrRefuse));
        Assert.False(System.IO.File.Exists(other.PartialPath));
    }

    [Fact]
    public void Tool_versions_and_the_kind_of_job_are_part_of_what_made_an_output()
    {
        var now = new Fingerprint("sample").Add("n", 2);
        Assert.Contains(now.Entries, e => e.Key == Fingerprint.ToolKey);
        Assert.Contains(now.Entries, e => e.Key == Fingerprint.LlamaKey && e.Value.Length > 0);
        Assert.Equal("job", new Fingerprint("score").Add("n", 2).CompareTo(now)!.Key);
        var json = Fingerprint.FromJson(now.ToJson());
        Assert.Null(now.CompareTo(json));
        Assert.Equal(now.Digest(), json.Digest());
    }

    [Fact]
    public void An_output_that_is_an_input_through_a_link_or_a_working_file_is_refused_before_anything_is_cleared()
    {
        System.IO.File.WriteAllText(File("in.jsonl"), "{}\n");
        Directory.CreateDirectory(File("sub"));
        System.IO.File.CreateSymbolicLink(File("link.jsonl"), File("in.jsonl"));
        Directory.CreateSymbolicLink(File("sub/up"), _dir);
        using (var ln = System.Diagnostics.Process.Start("ln", [File("in.jsonl"), File("hard.jsonl")])) ln.WaitForExit();
        foreach (var path in new[] { "in.jsonl", "link.jsonl", "hard.jsonl", "sub/up/in.jsonl" })
        {
            var e = Assert.Throws<OutputPathException>(() => new OutputFile(File(path)).Prepare(Made(2, File("in.jsonl")), ReuseRule.Recompute));
            Assert.Equal(("input", File("in.jsonl")), (e.InputKey, e.InputPath));
        }
        // OUT.partial, OUT.meta.json and the working files are written (and cleared) too.
        var working = new OutputFile(File("in"), "out", File("in.jsonl"));
        Assert.Equal(File("in.jsonl"), Assert.Throws<OutputPathException>(() => working.Prepare(Made(2, File("in.jsonl")), ReuseRule.Recompute)).Written);
        var partial = Assert.Throws<OutputPathException>(() => new OutputFile(File("in")).EnsureWritable(File("in.partial")));
        Assert.Equal(File("in.partial"), partial.Written);
        Assert.Equal("{}\n", System.IO.File.ReadAllText(File("in.jsonl")));
        new OutputFile(File("other.jsonl")).EnsureWritable(File("in.jsonl"), File("link.jsonl"));
    }

    [Fact]
    public void A_complete_output_kept_as_up_to_date_loses_the_working_files_a_kill_left()
    {
        System.IO.File.WriteAllText(File("in.jsonl"), "{}\n");
        var output = new OutputFile(File("out.gguf"), "out", File("out.gguf.tokens.jsonl"), File("out.gguf.checkpoints"));
        Assert.False(output.Prepare(Made(2, File("in.jsonl")), ReuseRule.ResumeOrRefuse));
        System.IO.File.WriteAllText(output.Path, "adapter");
        System.IO.File.WriteAllText(File("out.gguf.tokens.jsonl"), "tokens");
        Directory.CreateDirectory(File("out.gguf.checkpoints"));

        Assert.True(output.Prepare(Made(2, File("in.jsonl")), ReuseRule.ResumeOrRefuse));
        Assert.False(System.IO.File.Exists(File("out.gguf.tokens.jsonl")));
        Assert.False(Directory.Exists(File("out.gguf.checkpoints")));
        Assert.Equal("adapter", System.IO.File.ReadAllText(output.Path));
    }

    [Fact]
    public void Unusable_output_paths_fail_at_once_naming_the_path()
    {
        Assert.Contains("is a folder", Assert.Throws<OutputPathException>(() => new OutputFile(_dir).EnsureWritable()).Message);
        Assert.Contains("/proc/x.jsonl", Assert.Throws<OutputPathException>(() => new OutputFile("/proc/x.jsonl").EnsureWritable()).Message);
        Assert.Contains("/proc/no/x.jsonl", Assert.Throws<OutputPathException>(() => new OutputFile("/proc/no/x.jsonl").EnsureWritable()).Message);
        new OutputFile(File("new/folder/x.jsonl")).EnsureWritable();
        Assert.Empty(Directory.GetFiles(File("new/folder")));
    }

    [Fact]
    public void Large_files_are_hashed_once_and_the_cache_follows_size_and_time()
    {
        string cache = File("cache");
        Environment.SetEnvironmentVariable(CacheFolder.Variable, cache);
        try
        {
            string big = File("big.bin");
            using (var s = System.IO.File.Create(big)) s.SetLength(65L << 20);
            System.IO.File.SetLastWriteTimeUtc(big, DateTime.UtcNow.AddMinutes(-1));
            string sha = FileHashes.Sha256(big);
            var entry = Assert.Single(Directory.GetFiles(Path.Combine(cache, "file-hashes")));
            Assert.Contains(sha, System.IO.File.ReadAllText(entry));

            // A cached entry is what is returned while size and time match (proved by planting a fake one) ...
            var lines = System.IO.File.ReadAllLines(entry);
            System.IO.File.WriteAllLines(entry, [lines[0], new string('0', 64), lines[2]]);
            Assert.Equal(new string('0', 64), FileHashes.Sha256(big));
            // ... and ignored once the file changes.
            System.IO.File.SetLastWriteTimeUtc(big, DateTime.UtcNow.AddMinutes(-2));
            Assert.Equal(sha, FileHashes.Sha256(big));
        }
        finally { Environment.SetEnvironmentVariable(CacheFolder.Variable, null); }
    }
}
