using System.Text.Json;
using Merlinite.Engine.Data;

namespace Merlinite.Engine.DataGeneration;

/// <summary>Every leaf's counts (report.json of a generate-data output), and the totals per filter.</summary>
public sealed record GenerationReport(IReadOnlyList<LeafReport> Leaves)
{
    public int Examples => Leaves.Sum(l => l.Examples);
    public IReadOnlyList<LeafReport> Empty => Leaves.Where(l => l.Examples == 0).ToList();

    /// <summary>Each filter over all leaves: (name, in, kept). Knowledge and grounded leaves' pair filter is named
    /// "faithfulness", so it shows apart.</summary>
    public IReadOnlyList<FilterCount> Totals => Leaves.SelectMany(l => l.Filters).GroupBy(f => f.Name)
        .Select(g => new FilterCount(g.Key, g.Sum(f => f.In), g.Sum(f => f.Kept), new Dictionary<string, int>())).ToList();

    public string ToJson() => JsonLines.Format(w =>
    {
        w.WriteNumber("examples", Examples);
        w.WriteStartArray("leaves");
        foreach (var l in Leaves) { w.WriteStartObject(); l.Write(w); w.WriteEndObject(); }
        w.WriteEndArray();
    }, indented: true);

    public static GenerationReport Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return new GenerationReport(doc.RootElement.GetProperty("leaves").EnumerateArray().Select(LeafReport.Parse).ToList());
    }
}
