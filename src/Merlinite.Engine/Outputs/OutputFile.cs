using System.Text.Json;
using System.Text.Json.Nodes;

namespace Merlinite.Engine.Outputs;

/// <summary>What a job does with an output that already exists.</summary>
public enum ReuseRule
{
    /// <summary>Keep a complete output and resume a partial one if they were made the same way; refuse otherwise
    /// (what a command does without --restart).</summary>
    ResumeOrRefuse,
    /// <summary>Keep or resume what was made the same way; recompute what was not (a recipe run, a build system).</summary>
    ResumeOrRecompute,
    /// <summary>Recompute whatever is there (--restart).</summary>
    Recompute,
}

public enum OutputStatus
{
    /// <summary>Nothing there (or only leftovers that prove nothing).</summary>
    Missing,
    /// <summary>Unfinished work made with the same fingerprint: it can be resumed.</summary>
    Partial,
    /// <summary>Finished and made with the same fingerprint: nothing to do.</summary>
    Complete,
    /// <summary>Made with a different fingerprint (see the difference).</summary>
    Stale,
    /// <summary>A file is at the path, but nothing records what made it.</summary>
    Unrecorded,
}

public sealed record OutputCheck(OutputStatus Status, FingerprintDifference? Difference = null, bool PartialOnly = false);

/// <summary>
/// One output of a job. <c>OUT</c> appears only when the output is complete; unfinished work lives in
/// <c>OUT.partial</c> (and in any working files the job names); <c>OUT.meta.json</c> records the
/// <see cref="Fingerprint"/> of what made it, written before any work starts. A rerun is then keyed by what made the
/// output, not by which files exist: the same fingerprint resumes or does nothing, a different one refuses (or, for a
/// recipe, recomputes).
/// </summary>
public sealed class OutputFile
{
    private readonly string[] _working;

    /// <param name="settingKey">The setting that names this path (for messages: "out" is -o on the command line).</param>
    /// <param name="working">Other files or folders that hold this output's unfinished work (trainer checkpoints).</param>
    public OutputFile(string path, string settingKey = "out", params string[] working)
    {
        Path = System.IO.Path.GetFullPath(path);
        SettingKey = settingKey;
        _working = working.Select(System.IO.Path.GetFullPath).ToArray();
    }

    public string Path { get; }
    public string SettingKey { get; }
    public string PartialPath => Path + ".partial";
    public string MetaPath => Path + ".meta.json";
    public string Name => System.IO.Path.GetFileName(Path);

    public bool IsComplete => File.Exists(Path);

    /// <summary>Compares what is at the path with <paramref name="fingerprint"/>; writes nothing.</summary>
    public OutputCheck Check(Fingerprint fingerprint)
    {
        bool final = File.Exists(Path);
        bool partial = File.Exists(PartialPath) || _working.Any(w => File.Exists(w) || Directory.Exists(w));
        if (!final && !partial) return new OutputCheck(OutputStatus.Missing);
        var made = ReadFingerprint();
        if (made is null) return final ? new OutputCheck(OutputStatus.Unrecorded) : new OutputCheck(OutputStatus.Missing);
        if (fingerprint.CompareTo(made) is { } difference) return new OutputCheck(OutputStatus.Stale, difference, PartialOnly: !final);
        return new OutputCheck(final ? OutputStatus.Complete : OutputStatus.Partial);
    }

    /// <summary>
    /// Gets the output ready for a job: checks the path can be written and is none of the files the fingerprint reads,
    /// applies <paramref name="reuse"/> to what is there, and records the fingerprint. Returns true when the output is
    /// already complete (nothing to do).
    /// </summary>
    public bool Prepare(Fingerprint fingerprint, ReuseRule reuse)
    {
        EnsureWritable(fingerprint.InputFiles);
        var check = Check(fingerprint);
        switch (check.Status)
        {
            case OutputStatus.Complete when reuse != ReuseRule.Recompute:
                KeepComplete();
                return true;
            case OutputStatus.Partial when reuse != ReuseRule.Recompute: return false;
            case OutputStatus.Stale or OutputStatus.Unrecorded when reuse == ReuseRule.ResumeOrRefuse:
                throw new StaleOutputException(this, fingerprint.Job, check);
        }
        Clear();
        AtomicFile.WriteAllText(MetaPath, fingerprint.ToJson().ToJsonString(Data.JsonStyle.Indented) + "\n");
        return false;
    }

    /// <summary>Removes the output, its partial and working files and its record.</summary>
    public void Clear()
    {
        foreach (var f in new[] { Path, PartialPath, MetaPath }.Concat(_working))
        {
            if (Directory.Exists(f)) Directory.Delete(f, recursive: true);
            else if (File.Exists(f)) File.Delete(f);
        }
    }

    /// <summary>Removes the record written by <see cref="Prepare"/> when the job failed before writing anything, so a
    /// refused run leaves nothing behind.</summary>
    public void ForgetIfUnstarted()
    {
        bool started = File.Exists(Path) || File.Exists(PartialPath) || _working.Any(w => File.Exists(w) || Directory.Exists(w));
        if (!started && File.Exists(MetaPath)) File.Delete(MetaPath);
    }

    /// <summary>Runs a job's work on a prepared output; if it fails before writing anything, the record goes too.</summary>
    public T Guard<T>(Func<T> work)
    {
        try { return work(); }
        catch { ForgetIfUnstarted(); throw; }
    }

    /// <summary>Keeps a complete output: working files a kill left between the final rename and the cleanup (the
    /// trainer's tokens and checkpoints) are removed now, or nothing would ever remove them.</summary>
    public void KeepComplete()
    {
        if (IsComplete) RemoveWorkingFiles();
    }

    /// <summary>Removes the working files of a finished output (they must not outlive a successful run).</summary>
    public void RemoveWorkingFiles()
    {
        foreach (var f in _working.Append(PartialPath))
        {
            if (Directory.Exists(f)) Directory.Delete(f, recursive: true);
            else if (File.Exists(f)) File.Delete(f);
        }
    }

    /// <summary>Fails at once, naming the user's path, when the output cannot be written there (its folder is made
    /// when missing) or when it is one of <paramref name="inputs"/>.</summary>
    public void EnsureWritable(params IEnumerable<string?> inputs) =>
        EnsureWritable(inputs.OfType<string>().Select(i => (Key: "input", Path: i)));

    /// <summary>As <see cref="EnsureWritable(IEnumerable{string?})"/>, each input named by its setting key.</summary>
    public void EnsureWritable(IEnumerable<(string Key, string Path)> inputs)
    {
        EnsureNotAnInput(inputs);
        if (Directory.Exists(Path)) throw new OutputPathException(this, "is a folder; give a file path");
        string folder = System.IO.Path.GetDirectoryName(Path)!;
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputPathException(this, $"its folder {folder} cannot be created ({e.Message})");
        }
        string probe = System.IO.Path.Combine(folder, $".{Name}.{Environment.ProcessId}.probe");
        try
        {
            using var handle = File.OpenHandle(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OutputPathException(this, $"cannot be written: the folder {folder} does not accept new files ({e.Message})");
        }
    }

    /// <summary>Writing (or clearing) the output would destroy an input that is the same file: the output path, its
    /// partial, record or working files, compared after resolving links (<see cref="FileIdentity"/>).</summary>
    private void EnsureNotAnInput(IEnumerable<(string Key, string Path)> inputs)
    {
        var written = new[] { Path, PartialPath, MetaPath }.Concat(_working).ToList();
        foreach (var (key, input) in inputs)
            if (written.FirstOrDefault(w => FileIdentity.Same(w, input)) is { } same)
                throw new OutputPathException(this,
                    $"is also an input ({input}); writing it would destroy that input: give the output another path")
                {
                    InputKey = key, InputPath = System.IO.Path.GetFullPath(input), Written = same,
                };
    }

    /// <summary>The fingerprint recorded for what is at the path, or null when there is none (or it is unreadable).</summary>
    public Fingerprint? ReadFingerprint()
    {
        if (!File.Exists(MetaPath)) return null;
        try { return JsonNode.Parse(File.ReadAllText(MetaPath)) is JsonObject o ? Fingerprint.FromJson(o) : null; }
        catch (Exception e) when (e is JsonException or IOException or InvalidOperationException or NullReferenceException) { return null; }
    }
}

/// <summary>An output exists but was made differently (or nothing records how); the job refuses to reuse it.</summary>
public sealed class StaleOutputException(OutputFile output, string job, OutputCheck check)
    : Exception(DefaultMessage(output, job, check))
{
    public OutputFile Output { get; } = output;
    public string Job { get; } = job;
    public OutputCheck Check { get; } = check;

    private static string DefaultMessage(OutputFile o, string job, OutputCheck c) => c.Difference is { } d
        ? $"{o.Path} was made with {d.Key} = {d.Then}, now {d.Now}"
        : $"{o.Path} exists but nothing records that merlinite {job} made it ({o.MetaPath} is missing)";
}

/// <summary>An output path that cannot be used (a folder, an unwritable place, one of the job's inputs).</summary>
public sealed class OutputPathException(OutputFile output, string problem) : Exception($"{output.Path} {problem}")
{
    public OutputFile Output { get; } = output;
    public string Problem { get; } = problem;
    /// <summary>When the output is an input: the setting that names that input, its path, and which file of the output
    /// (OUT, OUT.partial, ...) is the same file.</summary>
    public string? InputKey { get; init; }
    public string? InputPath { get; init; }
    public string? Written { get; init; }
}
