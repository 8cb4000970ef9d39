using System.Text.Json;

namespace Merlinite.Cli.Tests;

/// <summary>`merlinite taxonomy check` and `list` from the outside: exit codes, problems on stderr as file:line:col,
/// the summary and the listing on stdout.</summary>
public class TaxonomyCliTests
{
    private static string Skill(int version = 2, bool grounded = false) =>
        $"version: {version}\ncreated_by: tester\ntask_description: Increment a number\nseed_examples:\n" + string.Concat(Enumerable.Range(0, 5).Select(i =>
            (grounded ? $"  - context: The number is {i}.\n    question: Increment it.\n" : $"  - question: What is {i} + 1?\n") + $"    answer: \"{i + 1}\"\n"));

    private static string Knowledge(string repo) =>
        $"version: 3\ncreated_by: tester\ndomain: astronomy\ndocument_outline: Moons of Mars\ndocument:\n  repo: {repo}\n  commit: abc123\n  patterns:\n    - \"*.md\"\nseed_examples:\n" +
        string.Concat(Enumerable.Range(0, 5).Select(i => $"  - context: Context {i}.\n    questions_and_answers:\n" +
            string.Concat(Enumerable.Range(0, 3).Select(j => $"      - question: Question {i}.{j}?\n        answer: Answer {i}.{j}.\n"))));

    private static void Write(TempDir dir, string relative, string text)
    {
        string path = dir.File(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    /// <summary>Two skills, a grounded skill, a knowledge leaf with a local document folder and one with a remote repo.</summary>
    private static TempDir Taxonomy()
    {
        var dir = new TempDir();
        Write(dir, "tax/compositional_skills/math/increment/qna.yaml", Skill());
        Write(dir, "tax/foundational_skills/count/qna.yaml", Skill(version: 3));
        Write(dir, "tax/compositional_skills/grounded/math/increment/qna.yaml", Skill(grounded: true));
        Write(dir, "tax/knowledge/science/mars/qna.yaml", Knowledge(dir.File("docs")));
        Write(dir, "tax/knowledge/science/phobos/qna.yaml", Knowledge("https://github.com/example/phobos-docs.git"));
        Write(dir, "docs/mars.md", "# Mars\n");
        return dir;
    }

    [Fact]
    public void Check_passes_a_sound_taxonomy_and_notes_unread_remote_documents()
    {
        using var dir = Taxonomy();
        var r = MerliniteBinary.Run("taxonomy", "check", dir.File("tax"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("taxonomy OK: 5 leaves (2 knowledge, 3 skills; 1 grounded)\n", r.Stdout);
        Assert.Contains($"note: {dir.File("tax/knowledge/science/phobos/qna.yaml")}:6:9: documents of https://github.com/example/phobos-docs.git not checked", r.Stderr);
        Assert.Contains("--documents", r.Stderr);

        // With a documents folder, the clone is required, and read once there.
        Directory.CreateDirectory(dir.File("clones"));
        var missing = MerliniteBinary.Run("taxonomy", "check", dir.File("tax"), "--documents", dir.File("clones"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains($"qna.yaml:6:9: 'document.repo' https://github.com/example/phobos-docs.git has no local clone in {dir.File("clones/phobos-docs")}", missing.Stderr);
        Write(dir, "clones/phobos-docs/phobos.md", "# Phobos\n");
        var cloned = MerliniteBinary.Run("taxonomy", "check", dir.File("tax"), "--documents", dir.File("clones"));
        Assert.True(cloned.ExitCode == 0, cloned.Stderr);
        Assert.Equal("", cloned.Stderr);
    }

    [Fact]
    public void Check_lists_every_problem_and_exits_2()
    {
        using var dir = Taxonomy();
        Write(dir, "tax/compositional_skills/math/increment/qna.yaml", Skill(version: 7));
        Write(dir, "tax/knowledge/science/mars/qna.yaml", Knowledge(dir.File("docs")).Replace("domain: astronomy\n", ""));
        var r = MerliniteBinary.Run("taxonomy", "check", dir.File("tax"));
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("note: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(
        [
            $"{dir.File("tax/compositional_skills/math/increment/qna.yaml")}:1:10: 'version' must be 2 or 3 for a skill, not 7",
            $"{dir.File("tax/knowledge/science/mars/qna.yaml")}:1:1: missing required key 'domain'",
            $"2 problems in 2 files under {dir.File("tax")}",
        ], lines);

        // list fails the same way.
        var list = MerliniteBinary.Run("taxonomy", "list", dir.File("tax"));
        Assert.Equal(2, list.ExitCode);
        Assert.Contains("missing required key 'domain'", list.Stderr);
    }

    [Fact]
    public void List_prints_each_leaf_as_text_and_json()
    {
        using var dir = Taxonomy();
        var r = MerliniteBinary.Run("taxonomy", "list", dir.File("tax"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.Matches(@"^grounded skill +compositional_skills/grounded/math/increment +5 seeds$", lines[0]);
        Assert.Matches(@"^knowledge +knowledge/science/mars +15 seeds, 1 document$", lines[3]);
        Assert.Matches(@"^knowledge +knowledge/science/phobos +15 seeds, documents not read", lines[4]);

        var json = MerliniteBinary.Run("taxonomy", "list", dir.File("tax"), "--json");
        Assert.True(json.ExitCode == 0, json.Stderr);
        var leaves = JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(["compositional_skills/grounded/math/increment", "compositional_skills/math/increment", "foundational_skills/count",
            "knowledge/science/mars", "knowledge/science/phobos"], leaves.Select(l => l.GetProperty("path").GetString()));
        var mars = leaves[3];
        Assert.Equal("knowledge", mars.GetProperty("kind").GetString());
        Assert.Equal(15, mars.GetProperty("seeds").GetInt32());
        Assert.Equal(1, mars.GetProperty("documents").GetInt32());
        Assert.Equal(dir.File("tax/knowledge/science/mars/qna.yaml"), mars.GetProperty("file").GetString());
        Assert.Equal("grounded skill", leaves[0].GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, leaves[4].GetProperty("documents").ValueKind);
    }

    [Fact]
    public void Symbolic_link_loops_in_the_taxonomy_and_its_documents_list_each_leaf_and_document_once()
    {
        using var dir = Taxonomy();
        // Two loops each: one alone repeats every leaf below it; two made the walk (and the globbing) run forever.
        Directory.CreateSymbolicLink(dir.File("tax/loop"), ".");
        Directory.CreateSymbolicLink(dir.File("tax/compositional_skills/up"), "..");
        Write(dir, "docs/more/moons.md", "# Moons\n");
        Directory.CreateSymbolicLink(dir.File("docs/loop"), ".");
        Directory.CreateSymbolicLink(dir.File("docs/more/up"), "..");
        Write(dir, "tax/knowledge/science/mars/qna.yaml", Knowledge(dir.File("docs")).Replace("\"*.md\"", "\"**/*.md\""));

        var r = MerliniteBinary.Run("taxonomy", "list", dir.File("tax"), "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var leaves = JsonDocument.Parse(r.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(["compositional_skills/grounded/math/increment", "compositional_skills/math/increment", "foundational_skills/count",
            "knowledge/science/mars", "knowledge/science/phobos"], leaves.Select(l => l.GetProperty("path").GetString()));
        Assert.Equal(2, leaves[3].GetProperty("documents").GetInt32());
    }

    [Fact]
    public void A_qna_yaml_nested_100000_levels_deep_is_a_problem_at_its_line_not_a_crash()
    {
        using var dir = Taxonomy();
        Write(dir, "tax/compositional_skills/deep/qna.yaml", "version: 2\ncreated_by: " + new string('[', 100_000) + new string(']', 100_000) + "\n");
        var r = MerliniteBinary.Run("taxonomy", "check", dir.File("tax"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{dir.File("tax/compositional_skills/deep/qna.yaml")}:2:", r.Stderr);
        Assert.Contains("nested more than 64 levels deep", r.Stderr);
    }

    /// <summary>InstructLab's own files: every one its parser accepts passes (its grounded skills counted by content,
    /// wherever they live; the emoji skill's under-indented quoted line noted), and version-1 files fail on their
    /// version, one problem each.</summary>
    [SharedDataFact("taxonomy")]
    public void Check_accepts_upstream_valid_files_and_refuses_version_1()
    {
        string valid = Path.Combine(SharedData.Folder("taxonomy")!, "valid");
        var r = MerliniteBinary.Run("taxonomy", "check", valid);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("taxonomy OK: 168 leaves (117 knowledge, 51 skills; 26 grounded)\n", r.Stdout);
        Assert.Contains($"note: {valid}/compositional_skills/writing/freeform/emoji/qna.yaml:12:1: this line continues "
            + "the double-quoted text that starts at 11:15", r.Stderr);

        string legacy = Path.Combine(SharedData.Folder("taxonomy")!, "legacy");
        var old = MerliniteBinary.Run("taxonomy", "check", legacy);
        Assert.Equal(2, old.ExitCode);
        Assert.EndsWith($"185 problems in 185 files under {legacy}\n", old.Stderr);
        Assert.Contains($"{legacy}/knowledge/textbook/history/qna.yaml:1:1: no 'version': this is InstructLab's "
            + "version 1 format", old.Stderr);
    }

    [Fact]
    public void Check_refuses_a_repeated_question_and_answer_at_the_repeat()
    {
        using var dir = Taxonomy();
        Write(dir, "tax/knowledge/science/mars/qna.yaml", Knowledge(dir.File("docs"))
            .Replace("Question 0.1?\n        answer: Answer 0.1.", "Question 0.0?\n        answer: Answer 0.0."));
        var r = MerliniteBinary.Run("taxonomy", "check", dir.File("tax"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"{dir.File("tax/knowledge/science/mars/qna.yaml")}:15:9: "
            + "'seed_examples[0].questions_and_answers[1]' repeats 'seed_examples[0].questions_and_answers[0]' (line 13)", r.Stderr);
    }

    [Fact]
    public void A_documents_folder_that_does_not_exist_is_refused()
    {
        using var dir = Taxonomy();
        var r = MerliniteBinary.Run("taxonomy", "check", dir.File("tax"), "--documents", dir.File("no-such-folder"));
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: --documents: documents folder not found: {dir.File("no-such-folder")}\n", r.Stderr);
    }

    [Fact]
    public void A_missing_folder_is_a_usage_error()
    {
        using var dir = new TempDir();
        var r = MerliniteBinary.Run("taxonomy", "check", dir.File("nope"));
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: taxonomy folder not found: {dir.File("nope")}\n", r.Stderr);
    }
}
