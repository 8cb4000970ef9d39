using System.Text.Json;
using Merlinite.Engine.Data;

namespace Merlinite.Engine.DataGeneration;

/// <summary>How many candidates one filter of a leaf saw and kept, and why the others went.</summary>
public sealed record FilterCount(string Name, int In, int Kept, IReadOnlyDictionary<string, int> Dropped)
{
    public double? Accepted => In == 0 ? null : (double)Kept / In;

    public override string ToString() =>
        $"{Name} {Kept}/{In}" + (Dropped.Count(d => d.Value > 0) is 0 ? "" : " (" + string.Join(", ", Dropped.Where(d => d.Value > 0).Select(d => $"{d.Value} {d.Key}")) + ")");
}

/// <summary>
/// What data generation made of one leaf: the teacher's samples, then each filter in order, then the examples written.
/// A leaf whose filters kept nothing is reported with these counts (sdg #240: InstructLab stops with EmptyDatasetError).
/// </summary>
public sealed record LeafReport(string Path, LeafKind Kind, int Passages, int Samples, IReadOnlyList<FilterCount> Filters, int Examples)
{
    public string Line() => $"{Path}: {Examples} examples from {Samples} samples" + (Passages > 0 ? $" over {Passages} passages" : "") +
        " · " + string.Join(" · ", Filters) + (Examples == 0 ? " · EMPTY: every candidate was filtered out" : "");

    /// <summary>The leaf's properties, into an object the caller opened.</summary>
    public void Write(Utf8JsonWriter w)
    {
        w.WriteString("path", Path);
        w.WriteString("kind", Kind.ToString().ToLowerInvariant());
        w.WriteNumber("passages", Passages);
        w.WriteNumber("samples", Samples);
        w.WriteStartArray("filters");
        foreach (var f in Filters)
        {
            w.WriteStartObject();
            w.WriteString("name", f.Name);
            w.WriteNumber("in", f.In);
            w.WriteNumber("kept", f.Kept);
            if (f.Accepted is double a) w.WriteNumber("accepted", Math.Round(a, 4)); else w.WriteNull("accepted");
            w.WriteStartObject("dropped");
            foreach (var (why, n) in f.Dropped) w.WriteNumber(why, n);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("examples", Examples);
    }

    public string ToJson() => JsonLines.Format(Write, indented: true);

    public static LeafReport Parse(JsonElement e) => new(
        e.GetProperty("path").GetString()!,
        Enum.Parse<LeafKind>(e.GetProperty("kind").GetString()!, ignoreCase: true),
        e.GetProperty("passages").GetInt32(), e.GetProperty("samples").GetInt32(),
        e.GetProperty("filters").EnumerateArray().Select(f => new FilterCount(f.GetProperty("name").GetString()!, f.GetProperty("in").GetInt32(),
            f.GetProperty("kept").GetInt32(), f.GetProperty("dropped").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32()))).ToList(),
        e.GetProperty("examples").GetInt32());

    public static LeafReport Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return Parse(doc.RootElement);
    }
}
