using Merlinite.Engine.Data;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.DataGeneration;

/// <summary>
/// Synthetic data from a taxonomy: every leaf's examples (<see cref="LeafGeneration"/>, one folder per leaf under
/// OUT/leaves, each resumable on its own), then the whole: OUT/knowledge.jsonl and OUT/skills.jsonl in the messages
/// layout with "source" = the leaf's path, and OUT/report.json with every leaf's counts. Editing one leaf redoes that
/// leaf only; the others are kept by their fingerprints.
/// </summary>
public sealed record GenerateDataJob(ModelSpec Teacher, IReadOnlyList<TaxonomyLeaf> Leaves, string OutDir, GenerateSettings Settings)
{
    public const string KnowledgeFile = "knowledge.jsonl", SkillsFile = "skills.jsonl", ReportFile = "report.json";

    public string KnowledgePath => Path.Combine(OutDir, KnowledgeFile);
    public string SkillsPath => Path.Combine(OutDir, SkillsFile);

    /// <summary>The combined examples of one kind of leaf.</summary>
    public string DataPath(LeafKind kind) => kind == LeafKind.Knowledge ? KnowledgePath : SkillsPath;

    /// <summary>The report is written last: its presence says the whole taxonomy is done.</summary>
    public OutputFile Output => new(Path.Combine(OutDir, ReportFile));

    /// <summary>The last step as a job of its own (a run makes the leaves as jobs first): the leaves' data combined.
    /// </summary>
    public Jobs.IJob Combining => new CombineJob(this);

    private sealed class CombineJob(GenerateDataJob job) : Jobs.IJob
    {
        public OutputFile Output => job.Output;
        public IReadOnlyList<string> Inputs => job.Leaves.Select((_, i) => job.Leaf(i).Output.Path).ToList();
        public Fingerprint Fingerprint() => job.Fingerprint();
        public void Make(Action<double, string?> report, CancellationToken ct) => job.Combine();
    }

    public LeafGeneration Leaf(int index) =>
        new(Teacher, Leaves[index], Path.Combine(OutDir, "leaves", Leaves[index].Path.Replace('/', Path.DirectorySeparatorChar)), Settings);

    public void Validate() => SettingException.ThrowIfAny(Settings.Problems().Concat(JobSupport.ModelProblems("teacher", Teacher))
        .Append(Leaves.Count == 0 ? new SettingProblem("taxonomy", "has no leaves") : null)
        .Append(Leaves.Select(l => l.Path).GroupBy(p => p).FirstOrDefault(g => g.Count() > 1) is { } twice ? new SettingProblem("taxonomy", $"leaf {twice.Key} is given twice") : null));

    public Fingerprint Fingerprint()
    {
        var f = new Fingerprint("generate-data");
        foreach (var i in Enumerable.Range(0, Leaves.Count)) f.Add($"leaf:{Leaves[i].Path}", Leaf(i).Fingerprint().Digest());
        return f;
    }

    /// <summary>Every leaf, each under its own progress display (title, then the work that reports (fraction,
    /// detail)), then the combined files. A finished leaf made the same way is kept; an edited one is redone.</summary>
    public GenerationReport Run(ReuseRule reuse, Action<string, Action<Action<double, string?>>> display, CancellationToken ct)
    {
        Validate();
        JobSupport.CheckFiles("teacher", Teacher);
        var output = Output;
        output.EnsureWritable();
        // Per leaf like a build: an edited taxonomy changes the whole's record, but only its changed leaves are redone.
        var leafReuse = reuse == ReuseRule.Recompute ? reuse : ReuseRule.ResumeOrRecompute;
        if (output.Prepare(Fingerprint(), leafReuse)) return GenerationReport.Read(output.Path);
        for (int i = 0; i < Leaves.Count; i++)
        {
            var leaf = Leaf(i);
            if (leafReuse != ReuseRule.Recompute && leaf.Output.Check(leaf.Fingerprint()).Status == OutputStatus.Complete) continue;
            display(LeafTitle(i), report => leaf.Run(leafReuse, report, ct));
        }
        return Combine();
    }

    public string LeafTitle(int index) => $"generate: leaf {index + 1}/{Leaves.Count} {Leaves[index].Path}";

    /// <summary>Writes the combined files from the leaves' outputs (all complete), the report last.</summary>
    public GenerationReport Combine()
    {
        var leaves = Enumerable.Range(0, Leaves.Count).Select(Leaf).ToList();
        foreach (var l in leaves)
            if (!l.Output.IsComplete) throw new InvalidOperationException($"leaf {l.Leaf.Path} is not generated yet");
        IEnumerable<string> Lines(LeafKind kind) => leaves.Where(l => l.Leaf.Kind == kind).SelectMany(l => File.ReadLines(l.Output.Path)).ToList();
        AtomicFile.WriteAllLines(KnowledgePath, Lines(LeafKind.Knowledge));
        AtomicFile.WriteAllLines(SkillsPath, Lines(LeafKind.Skill));
        var report = new GenerationReport(leaves.Select(l => LeafReport.Read(l.ReportPath)).ToList());
        var output = Output;
        output.Prepare(Fingerprint(), ReuseRule.ResumeOrRecompute);
        AtomicFile.WriteAllText(output.Path, report.ToJson() + "\n");
        return report;
    }
}
