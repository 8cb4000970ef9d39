using System.Text.RegularExpressions;
using Merlinite.Recipes.Taxonomy;
using Xunit.Abstractions;

namespace Merlinite.Recipes.Tests;

/// <summary>The reader against real InstructLab files: every file upstream accepts is accepted, every version-1 file is
/// refused on its version, and every mutated copy is refused at one of the lines of its defect with the expected words.
/// Documents are not read (readRemoteDocuments: false): the corpus holds qna.yaml files only.</summary>
public sealed class TaxonomyConformanceTests(ITestOutputHelper output)
{
    private static string Set(string name) => Path.Combine(SharedData.Folder("taxonomy")!, name);

    private static int Files(string dir) => Directory.GetFiles(dir, "qna.yaml", SearchOption.AllDirectories).Length;

    [SharedDataFact("taxonomy")]
    public void Every_upstream_valid_file_is_accepted()
    {
        var check = TaxonomyReader.Check(Set("valid"), null, readRemoteDocuments: false);
        Assert.True(check.Ok, string.Join('\n', check.Problems));
        Assert.Equal(Files(Set("valid")), check.Leaves.Count);
        // The emoji skill's under-indented double-quoted line reads as PyYAML's yaml.safe_load reads it.
        var emoji = Assert.Single(check.Leaves, l => l.Path == "compositional_skills/writing/freeform/emoji");
        Assert.Equal("Replace words with emoji in this text: I am taking my dog to the park for a walk",
            emoji.Seeds[2].Question);
        output.WriteLine($"{check.Leaves.Count} valid files accepted");
    }

    [SharedDataFact("taxonomy")]
    public void Every_version_1_file_is_refused_on_its_version_alone()
    {
        var check = TaxonomyReader.Check(Set("legacy"), null, readRemoteDocuments: false);
        int files = Files(Set("legacy"));
        Assert.Empty(check.Leaves);
        var byFile = check.Problems.GroupBy(p => p.File).ToList();
        Assert.Equal(files, byFile.Count);
        Assert.All(byFile, g => Assert.Contains("version 1", Assert.Single(g).Message, StringComparison.Ordinal));
        output.WriteLine($"{files} legacy files refused on their version");
    }

    [SharedDataFact("taxonomy")]
    public void Every_mutation_is_refused_at_its_line_with_its_words()
    {
        string dir = Set("mutations");
        var cases = File.ReadAllLines(Path.Combine(dir, "expected.tsv"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('\t')).ToList();
        var wrong = new List<string>();
        foreach (var c in cases)
        {
            string file = Path.Combine(dir, c[0], c[1]);
            long[] lines = c[2].Split(',').Select(long.Parse).ToArray();
            var problems = TaxonomyReader.Check(Path.Combine(dir, c[0]), null, readRemoteDocuments: false).Problems;
            if (!problems.Any(p => p.File == file && lines.Contains(p.Line) && Regex.IsMatch(p.Message, c[3])))
                wrong.Add($"{c[0]} (lines {c[2]}, /{c[3]}/): "
                    + (problems.Count == 0 ? "accepted" : string.Join(" | ", problems)));
        }
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
        Assert.NotEmpty(cases);
        output.WriteLine($"{cases.Count} mutations refused at their lines");
    }
}
