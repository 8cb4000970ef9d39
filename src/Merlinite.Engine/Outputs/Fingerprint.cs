using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Merlinite.Engine.Outputs;

/// <summary>
/// Everything that decides an output's bytes: the tool and llama.cpp versions, whether the process runs in the
/// reproducible mode (its kernels round differently from the fast ones), the content (SHA-256) of every input file and
/// model, and every setting that matters, each under its setting key ("n", "temperature", "model", ...). Settings that
/// only change speed (threads) are left out, so a rerun with more threads still resumes.
/// </summary>
public sealed class Fingerprint
{
    public const string ToolKey = "merlinite", LlamaKey = "llama_cpp", ReproducibleKey = "reproducible";

    /// <param name="Value">What is compared: the setting's value, or a file's SHA-256.</param>
    /// <param name="File">The file's path when the entry is a file (for messages only: a moved file is the same input).</param>
    public sealed record Entry(string Key, string Value, string? File = null)
    {
        public string Shown => File is null ? Value : $"{File} (sha {FileHashes.Short(Value)})";
    }

    private readonly List<Entry> _entries = [];
    private readonly List<(string Key, string Path)> _inputs = [];

    public Fingerprint(string job)
    {
        Job = job;
        Add(ToolKey, EngineInfo.MerliniteVersion);
        Add(LlamaKey, EngineInfo.LlamaCppVersion);
        Add(ReproducibleKey, Reproducibility.ReproducibleMode.IsOn);
    }

    private Fingerprint(string job, IEnumerable<Entry> entries)
    {
        Job = job;
        _entries.AddRange(entries);
    }

    /// <summary>The kind of job that made the output (sample, score, reward, ...).</summary>
    public string Job { get; }
    public IReadOnlyList<Entry> Entries => _entries;

    /// <summary>Every file the job reads, under the key of the setting that names it: an output may be none of them
    /// (<see cref="OutputFile.Prepare"/> checks).</summary>
    public IReadOnlyList<(string Key, string Path)> InputFiles => _inputs;

    /// <summary>Records a file the job reads whose content is already part of an entry (a model's adapters).</summary>
    public Fingerprint Reads(string key, string path) { _inputs.Add((key, Path.GetFullPath(path))); return this; }

    public Fingerprint Add(string key, string? value) { _entries.Add(new Entry(key, value ?? "none")); return this; }
    public Fingerprint Add(string key, long value) => Add(key, value.ToString(CultureInfo.InvariantCulture));
    public Fingerprint Add(string key, double value) => Add(key, value.ToString("R", CultureInfo.InvariantCulture));
    public Fingerprint Add(string key, double? value) => value is double d ? Add(key, d) : Add(key, (string?)null);
    public Fingerprint Add(string key, bool value) => Add(key, value ? "true" : "false");
    public Fingerprint Add(string key, IEnumerable<string> values) => Add(key, "[" + string.Join(", ", values.Select(v => $"\"{v}\"")) + "]");

    public Fingerprint Add(Entry entry) { _entries.Add(entry); return this; }

    /// <summary>A file by its content; absent (null) is recorded as "none".</summary>
    public Fingerprint AddFile(string key, string? path)
    {
        if (path is null) return Add(key, (string?)null);
        string full = Path.GetFullPath(path);
        _entries.Add(new Entry(key, FileHashes.Sha256(full), full));
        return Reads(key, full);
    }

    /// <summary>Several files in order (their order matters: it is the order items are read).</summary>
    public Fingerprint AddFiles(string key, IReadOnlyList<string> paths)
    {
        if (paths.Count == 1) return AddFile(key, paths[0]);
        var full = paths.Select(Path.GetFullPath).ToList();
        _entries.Add(new Entry(key, string.Join(",", full.Select(FileHashes.Sha256)), string.Join(", ", full)));
        foreach (var f in full) Reads(key, f);
        return this;
    }

    /// <summary>One SHA-256 over every entry, for summaries.</summary>
    public string Digest()
    {
        var text = new StringBuilder(Job).Append('\n');
        foreach (var e in _entries) text.Append(e.Key).Append('=').Append(e.Value).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The first thing that differs between what made an existing output and this; null when nothing does.
    /// A setting is named before a file: when both differ, the setting is the cause the user can act on (a changed
    /// beta makes the reward file differ too), and the dry-run, which cannot know the files' new bytes yet, names the
    /// same one.</summary>
    public FingerprintDifference? CompareTo(Fingerprint made) =>
        CompareSettingsTo(made) ?? Compare(made, files: true);

    /// <summary>As <see cref="CompareTo"/>, settings only (entries that are not files' contents).</summary>
    public FingerprintDifference? CompareSettingsTo(Fingerprint made) =>
        made.Job != Job ? new FingerprintDifference("job", made.Job, Job) : Compare(made, files: false);

    private FingerprintDifference? Compare(Fingerprint made, bool files)
    {
        var old = made._entries.ToDictionary(e => e.Key);
        foreach (var e in _entries)
        {
            old.TryGetValue(e.Key, out var before);
            if ((e.File is not null || before?.File is not null) != files) continue;
            if (before is null) return new FingerprintDifference(e.Key, NotRecorded, e.Shown);
            if (before.Value != e.Value) return new FingerprintDifference(e.Key, before.Shown, e.Shown);
        }
        var gone = made._entries.FirstOrDefault(e => (e.File is not null) == files && _entries.All(n => n.Key != e.Key));
        return gone is null ? null : new FingerprintDifference(gone.Key, gone.Shown, NoSuchSetting);
    }

    /// <summary>What a difference shows for a setting that the older output did not record, or that this version of
    /// merlinite no longer has (Then and Now of <see cref="FingerprintDifference"/>).</summary>
    public const string NotRecorded = "(not recorded)", NoSuchSetting = "(not a setting any more)";

    public JsonObject ToJson() => new()
    {
        ["job"] = Job,
        ["digest"] = Digest(),
        ["settings"] = new JsonArray(_entries.Select(e =>
        {
            var o = new JsonObject { ["key"] = e.Key, ["value"] = e.Value };
            if (e.File is not null) o["file"] = e.File;
            return (JsonNode)o;
        }).ToArray()),
    };

    public static Fingerprint FromJson(JsonObject json) => new(
        json["job"]?.GetValue<string>() ?? "?",
        (json["settings"] as JsonArray ?? []).OfType<JsonObject>().Select(o =>
            new Entry(o["key"]!.GetValue<string>(), o["value"]!.GetValue<string>(), o["file"]?.GetValue<string>())));
}

/// <summary>One input or setting that differs: its key, and how it was shown then and now.</summary>
public sealed record FingerprintDifference(string Key, string Then, string Now);
