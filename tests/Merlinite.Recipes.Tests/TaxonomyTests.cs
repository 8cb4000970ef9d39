using System.Text;
using Merlinite.Engine.DataGeneration;
using Merlinite.Recipes.Schema;
using Merlinite.Recipes.Taxonomy;

namespace Merlinite.Recipes.Tests;

/// <summary>InstructLab taxonomies: malformed qna.yaml files each get their own message at the right line and column,
/// every problem in every file is listed, and a sound taxonomy reads into typed leaves with their documents.</summary>
public sealed class TaxonomyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-taxonomy-").FullName;
    private string Root => Path.Combine(_dir, "taxonomy");
    private const string MarsLeaf = "knowledge/science/mars";

    public TaxonomyTests()
    {
        // The documents the knowledge leaf's repo "../../../../docs" points at (relative to the leaf's folder).
        Write("docs/mars.md", "# Mars\nMars has two moons.\n");
        Write("docs/moons/phobos.md", "# Phobos\nThe larger moon.\n");
        Write("docs/notes.txt", "not matched by the patterns\n");
    }

    public void Dispose() => Directory.Delete(_dir, true);

    private void Write(string relative, string text) => Write(relative, Encoding.UTF8.GetBytes(text));

    private void Write(string relative, byte[] bytes)
    {
        string path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>A valid knowledge qna.yaml: seed example i starts at line 11 + 8i; its pair j's question at line
    /// 13 + 8i + 2j (key at column 9, value at 19) and answer the line after (key at 9, value at 17).</summary>
    private static string Knowledge(int seeds = 5, int pairs = 3)
    {
        var s = new StringBuilder("""
            version: 3
            created_by: tester
            domain: astronomy
            document_outline: Facts about the moons of Mars
            document:
              repo: ../../../../docs
              commit: abc123
              patterns:
                - "*.md"
            seed_examples:

            """);
        for (int i = 0; i < seeds; i++)
        {
            s.Append($"  - context: Context {i} says Mars has two moons.\n    questions_and_answers:\n");
            for (int j = 0; j < pairs; j++) s.Append($"      - question: Question {i}.{j}?\n        answer: Answer {i}.{j}.\n");
        }
        return s.ToString();
    }

    /// <summary>A valid skill: freeform seed i at line 5 + 2i (question) and 6 + 2i (answer); grounded seed i at line
    /// 5 + 3i (context), then question and answer.</summary>
    private static string Skill(bool grounded = false, int version = 2)
    {
        var s = new StringBuilder($"version: {version}\ncreated_by: tester\ntask_description: Increment a number\nseed_examples:\n");
        for (int i = 0; i < 5; i++)
        {
            s.Append(grounded ? $"  - context: The number is {i}.\n    question: Increment it.\n" : $"  - question: What is {i} + 1?\n");
            s.Append($"    answer: \"{i + 1}\"\n");
        }
        return s.ToString();
    }

    private string Leaf(string path, string yaml)
    {
        Write($"taxonomy/{path}/qna.yaml", yaml);
        return Path.Combine(Root, path, "qna.yaml");
    }

    private RecipeException Fails(string path, string yaml, string? documents = null)
    {
        Leaf(path, yaml);
        return Assert.Throws<RecipeException>(() => TaxonomyReader.Load(Root, documents));
    }

    private static void Has(RecipeException e, long line, long column, string text)
    {
        Assert.True(e.Problems.Any(p => p.Line == line && p.Column == column && p.Message.Contains(text, StringComparison.Ordinal)),
            $"no problem at {line}:{column} with '{text}' in:\n{e.Message}");
        Assert.All(e.Problems, p => Assert.EndsWith("qna.yaml", p.File));
    }

    private RecipeException KnowledgeFails(string yaml) => Fails(MarsLeaf, yaml);

    // Format problems of knowledge files.
    [Fact] public void Missing_domain() => Has(KnowledgeFails(Knowledge().Replace("domain: astronomy\n", "")), 1, 1, "missing required key 'domain'");
    [Fact] public void Knowledge_version_2() => Has(KnowledgeFails(Knowledge().Replace("version: 3", "version: 2")), 1, 10, "'version' must be 3 for knowledge");
    [Fact] public void Four_seed_examples() => Has(KnowledgeFails(Knowledge(seeds: 4)), 11, 3, "'seed_examples' needs at least 5 items (has 4)");
    [Fact] public void Two_questions_and_answers() => Has(KnowledgeFails(Knowledge(pairs: 2)), 13, 7, "'seed_examples[0].questions_and_answers' needs at least 3 items (has 2)");

    [Fact]
    public void Context_over_500_words() => Has(KnowledgeFails(Knowledge().Replace("Context 1 says Mars has two moons.", string.Join(' ', Enumerable.Repeat("moon", 501)))),
        19, 14, "'seed_examples[1].context' has 501 words; at most 500");

    [Fact]
    public void Question_and_answer_over_250_words() => Has(KnowledgeFails(Knowledge().Replace("Answer 0.1.", string.Join(' ', Enumerable.Repeat("word", 249)))),
        15, 9, "'seed_examples[0].questions_and_answers[1]': question and answer together have 251 words; at most 250");

    [Fact] public void Empty_answer() => Has(KnowledgeFails(Knowledge().Replace("answer: Answer 0.0.", "answer: \"\"")), 14, 17, "'seed_examples[0].questions_and_answers[0].answer' must not be empty");
    [Fact] public void Null_question() => Has(KnowledgeFails(Knowledge().Replace("question: Question 1.2?", "question:")), 25, 18, "'seed_examples[1].questions_and_answers[2].question' must not be empty");

    [Fact]
    public void Unknown_key_lists_the_allowed_ones() => Has(KnowledgeFails(Knowledge().Replace("domain: astronomy\n", "domain: astronomy\nauthor: me\n")),
        4, 1, "unknown key 'author' (allowed here: version, created_by, domain, seed_examples, document_outline, document)");

    /// <summary>YamlDotNet refuses a repeated key while parsing, so it is reported as recipes report it (at the second key).</summary>
    [Fact] public void Duplicate_key() => Has(KnowledgeFails(Knowledge().Replace("created_by: tester\n", "created_by: tester\ncreated_by: other\n")), 3, 1, "not valid YAML: Duplicate key created_by");

    [Fact]
    public void List_for_an_answer() => Has(KnowledgeFails(Knowledge().Replace("answer: Answer 2.0.", "answer: [a, b]")),
        30, 17, "'seed_examples[2].questions_and_answers[0].answer' must be a string, not a list");

    [Fact] public void Tab_indentation() => Has(KnowledgeFails(Knowledge().Replace("  commit: abc123", "\tcommit: abc123")), 7, 1, "not valid YAML: a tab in the indentation");
    [Fact] public void Yaml_syntax_error() => Has(KnowledgeFails(Knowledge().Replace("domain: astronomy", "domain: [astronomy")), 3, 9, "not valid YAML: the parser stopped after this point");
    [Fact] public void Seed_example_not_a_mapping() => Has(KnowledgeFails(Knowledge().Replace("  - context: Context 4 says", "  - just text\n  - context: Context 4 says")), 43, 5, "'seed_examples[4]' must be a mapping of keys, not 'just text'");
    [Fact] public void Missing_document_block() => Has(KnowledgeFails(Knowledge().Replace("document:\n  repo: ../../../../docs\n  commit: abc123\n  patterns:\n    - \"*.md\"\n", "")), 1, 1, "missing required key 'document'");
    [Fact] public void Missing_commit() => Has(KnowledgeFails(Knowledge().Replace("  commit: abc123\n", "")), 6, 3, "missing required key 'document.commit'");
    [Fact] public void Empty_patterns() => Has(KnowledgeFails(Knowledge().Replace("  patterns:\n    - \"*.md\"\n", "  patterns: []\n")), 8, 13, "'document.patterns' needs at least 1 item (has 0)");
    [Fact] public void Pattern_matching_nothing() => Has(KnowledgeFails(Knowledge().Replace("\"*.md\"", "\"*.rst\"")), 9, 7, "'*.rst' matches no file in " + Path.Combine(_dir, "docs"));

    [Fact]
    public void Pdf_document()
    {
        Write("docs/paper.pdf", "%PDF-1.4");
        Has(KnowledgeFails(Knowledge().Replace("\"*.md\"", "\"*.pdf\"")), 9, 7, "only Markdown and text documents are read; convert paper.pdf to Markdown");
    }

    [Fact] public void Repo_folder_missing() => Has(KnowledgeFails(Knowledge().Replace("../../../../docs", "../../../../nowhere")), 6, 9, "folder not found: " + Path.Combine(_dir, "nowhere"));

    [Fact]
    public void Remote_repo_without_a_clone_names_the_folder_and_the_flag()
    {
        string yaml = Knowledge().Replace("../../../../docs", "https://github.com/example/mars-docs.git");
        var e = KnowledgeFails(yaml);
        Has(e, 6, 9, "DOCS/mars-docs");
        Has(e, 6, 9, "--documents");

        // With a documents folder that lacks the clone: still a problem, naming the folder to clone into.
        string docs = Path.Combine(_dir, "clones");
        Directory.CreateDirectory(docs);
        e = Assert.Throws<RecipeException>(() => TaxonomyReader.Load(Root, docs));
        Has(e, 6, 9, $"no local clone in {Path.Combine(docs, "mars-docs")}");

        // A format check without documents notes it instead; with the clone it is read.
        var check = TaxonomyReader.Check(Root, null, readRemoteDocuments: false);
        Assert.Empty(check.Problems);
        Assert.Contains(check.Notes, n => n.Contains("qna.yaml:6:9: documents of https://github.com/example/mars-docs.git not checked", StringComparison.Ordinal));
        Assert.Empty(Assert.Single(check.Leaves).Documents);
        Directory.CreateDirectory(Path.Combine(docs, "mars-docs", "moons"));
        File.WriteAllText(Path.Combine(docs, "mars-docs", "mars.md"), "cloned");
        Assert.Equal("cloned", Assert.Single(Assert.Single(TaxonomyReader.Load(Root, docs)).Documents).Text);
    }

    // The file as a whole.
    [Fact]
    public void Not_utf8()
    {
        Write($"taxonomy/{MarsLeaf}/qna.yaml", [0x76, 0x65, 0xff, 0xfe, 0x0a]);
        Has(Assert.Throws<RecipeException>(() => TaxonomyReader.Load(Root, null)), 1, 1, "not valid UTF-8");
    }

    [Fact] public void Empty_file() => Has(Fails(MarsLeaf, "  \n"), 1, 1, "the file is empty");
    [Fact] public void Root_is_a_list() => Has(Fails(MarsLeaf, "- version: 3\n"), 1, 1, "a qna.yaml must be a mapping of keys, not a list");

    // Skills.
    /// <summary>The schema allows a context in any skill's seed examples, wherever the skill lives; it is grounded by
    /// its content (InstructLab's taxonomy has grounded skills outside folders named grounded).</summary>
    [Fact]
    public void A_context_makes_a_skill_grounded_wherever_it_lives()
    {
        Leaf("compositional_skills/math/increment",
            Skill().Replace("  - question: What is 2 + 1?", "  - context: Two.\n    question: What is 2 + 1?"));
        var leaf = Assert.Single(TaxonomyReader.Load(Root, null));
        Assert.True(leaf.Grounded);
        Assert.Equal("Two.", leaf.Seeds[2].Context);
    }

    /// <summary>Nor does the schema require a context in every seed example of a skill under grounded/.</summary>
    [Fact]
    public void A_seed_without_context_in_a_grounded_folder_is_read_as_written()
    {
        Leaf("compositional_skills/grounded/math/increment",
            Skill(grounded: true).Replace("  - context: The number is 1.\n    question", "  - question"));
        var leaf = Assert.Single(TaxonomyReader.Load(Root, null));
        Assert.Null(leaf.Seeds[1].Context);
        Assert.True(leaf.Grounded);
    }

    [Fact] public void Skill_without_a_context_under_grounded_is_not_grounded() =>
        Assert.False(Assert.Single(Load("compositional_skills/grounded/math/increment", Skill())).Grounded);

    private IReadOnlyList<TaxonomyLeaf> Load(string path, string yaml)
    {
        Leaf(path, yaml);
        return TaxonomyReader.Load(Root, null);
    }

    // seed_examples, questions_and_answers and patterns are uniqueItems upstream: the repeat is reported at itself.
    [Fact]
    public void Repeated_seed_example() => Has(Fails("compositional_skills/math/increment",
            Skill().Replace("What is 3 + 1?\n    answer: \"4\"", "What is 2 + 1?\n    answer: \"3\"")), 11, 5,
        "'seed_examples[3]' repeats 'seed_examples[2]' (line 9); InstructLab requires the items of 'seed_examples' "
        + "to be unique");

    [Fact]
    public void Repeated_question_and_answer() => Has(KnowledgeFails(Knowledge()
            .Replace("Question 0.1?\n        answer: Answer 0.1.", "Question 0.0?\n        answer: Answer 0.0.")),
        15, 9,
        "'seed_examples[0].questions_and_answers[1]' repeats 'seed_examples[0].questions_and_answers[0]' (line 13)");

    [Fact]
    public void Repeated_pattern() =>
        Has(KnowledgeFails(Knowledge().Replace("    - \"*.md\"\n", "    - \"*.md\"\n    - '*.md'\n")),
        10, 7, "'document.patterns[1]' repeats 'document.patterns[0]' (line 9)");
    [Fact] public void Same_question_with_another_answer_is_no_repeat() =>
        Assert.Single(Load(MarsLeaf, Knowledge().Replace("Question 0.1?", "Question 0.0?")));

    /// <summary>A continuation line of double-quoted text no deeper than its key: YAML forbids it, PyYAML
    /// (InstructLab's parser) reads it, and the value is the same either way; read as PyYAML does, with a note naming
    /// the line.</summary>
    [Fact]
    public void Under_indented_double_quoted_text_is_read_as_pyyaml_reads_it_with_a_note()
    {
        string file = Leaf("compositional_skills/math/increment",
            Skill().Replace("  - question: What is 2 + 1?", "  - question: \"What is 2\n    + 1?\""));
        var check = TaxonomyReader.Check(Root, null, readRemoteDocuments: true);
        Assert.Empty(check.Problems);
        Assert.Equal("What is 2 + 1?", Assert.Single(check.Leaves).Seeds[2].Question);
        Assert.StartsWith($"{file}:10:1: this line continues the double-quoted text that starts at 9:15",
            Assert.Single(check.Notes), StringComparison.Ordinal);
    }

    /// <summary>Unclosed, the text runs to the next quote (the answer's) and the file is refused there.</summary>
    [Fact]
    public void Unclosed_double_quoted_text_is_still_refused() => Has(Fails("compositional_skills/math/increment",
        Skill().Replace("  - question: What is 2 + 1?", "  - question: \"What is 2\n    + 1?")), 11, 15,
        "not valid YAML");

    /// <summary>A document marker inside the text ends the document for PyYAML as for YAML: still refused.</summary>
    [Fact]
    public void A_document_marker_in_double_quoted_text_is_still_refused() =>
        Has(Fails("compositional_skills/math/increment",
            Skill().Replace("  - question: What is 2 + 1?", "  - question: \"What is 2\n---\n    + 1?\"")), 9, 15,
        "not valid YAML");

    /// <summary>Version 1 (no version key) is the old format: that alone is reported, not every key it lacks.</summary>
    [Fact]
    public void Version_1_is_refused_on_its_version_alone()
    {
        var e = Fails("compositional_skills/math/increment", Skill().Replace("version: 2\n", ""));
        Assert.Contains("version 1", Assert.Single(e.Problems).Message, StringComparison.Ordinal);
        Has(e, 1, 1, "no 'version'");
    }

    [Fact] public void Skill_version_4() => Has(Fails("compositional_skills/math/increment", Skill(version: 4)), 1, 10, "'version' must be 2 or 3 for a skill, not 4");
    [Fact] public void Skill_version_not_a_number() => Has(Fails("compositional_skills/math/increment", Skill().Replace("version: 2", "version: two")), 1, 10, "'version' must be an integer, not 'two'");
    [Fact] public void Missing_task_description() => Has(Fails("compositional_skills/math/increment", Skill().Replace("task_description: Increment a number\n", "")), 1, 1, "missing required key 'task_description'");
    [Fact] public void Knowledge_keys_in_a_skill() => Has(Fails("compositional_skills/math/increment", Skill() + "domain: math\n"), 15, 1, "unknown key 'domain' (allowed here: version, created_by, task_description, seed_examples)");

    // Sound taxonomies.
    [Fact]
    public void Knowledge_leaf_reads_its_description_seeds_and_documents()
    {
        Leaf(MarsLeaf, Knowledge().Replace("    - \"*.md\"\n", "    - \"*.md\"\n    - moons/*.md\n"));
        var leaf = Assert.Single(TaxonomyReader.Load(Root, null));
        Assert.Equal(MarsLeaf, leaf.Path);
        Assert.Equal(LeafKind.Knowledge, leaf.Kind);
        Assert.Equal("astronomy: Facts about the moons of Mars", leaf.Description);
        Assert.Equal(15, leaf.Seeds.Count);
        Assert.Equal(new SeedExample("Question 1.2?", "Answer 1.2.", "Context 1 says Mars has two moons."), leaf.Seeds[5]);
        Assert.Equal(["mars.md", "moons/phobos.md"], leaf.Documents.Select(d => d.Name));
        Assert.Equal("# Phobos\nThe larger moon.\n", leaf.Documents[1].Text);
        Assert.False(leaf.Grounded);
    }

    [Fact]
    public void Absolute_and_file_url_repos_are_local_folders()
    {
        string docs = Path.Combine(_dir, "docs");
        Leaf(MarsLeaf, Knowledge().Replace("../../../../docs", docs));
        Leaf("knowledge/science/phobos", Knowledge().Replace("../../../../docs", new Uri(docs).AbsoluteUri));
        var leaves = TaxonomyReader.Load(Root, null);
        Assert.All(leaves, l => Assert.Equal("mars.md", Assert.Single(l.Documents).Name));
    }

    [Fact]
    public void Skills_and_grounded_skills_read_with_paths_in_order()
    {
        Leaf("foundational_skills/reasoning/count", Skill(version: 3));
        Leaf("compositional_skills/math/increment", Skill());
        Leaf("compositional_skills/grounded/math/increment", Skill(grounded: true));
        Leaf(MarsLeaf, Knowledge());
        Leaf(".hidden/skill", "not even YAML: [");
        var leaves = TaxonomyReader.Load(Root, null);
        Assert.Equal(["compositional_skills/grounded/math/increment", "compositional_skills/math/increment", "foundational_skills/reasoning/count", MarsLeaf],
            leaves.Select(l => l.Path));
        var grounded = leaves[0];
        Assert.Equal(LeafKind.Skill, grounded.Kind);
        Assert.True(grounded.Grounded);
        Assert.Equal(new SeedExample("Increment it.", "1", "The number is 0."), grounded.Seeds[0]);
        var freeform = leaves[1];
        Assert.Equal("Increment a number", freeform.Description);
        Assert.Equal(5, freeform.Seeds.Count);
        Assert.All(freeform.Seeds, s => Assert.Null(s.Context));
        Assert.False(freeform.Grounded);
        Assert.Empty(freeform.Documents);
    }

    [Fact]
    public void A_qna_yaml_in_the_root_is_a_skill_named_after_the_root()
    {
        Write("taxonomy/qna.yaml", Skill());
        Assert.Equal("taxonomy", Assert.Single(TaxonomyReader.Load(Root, null)).Path);
    }

    [Fact]
    public void Every_problem_in_every_file_is_reported_sorted()
    {
        string mars = Leaf(MarsLeaf, Knowledge().Replace("domain: astronomy\n", "").Replace("answer: Answer 2.0.", "answer: [a]"));
        string skill = Leaf("compositional_skills/math/increment", Skill(version: 7).Replace("answer: \"3\"", "answer: \"\""));
        Leaf("compositional_skills/math/decrement", Skill());
        var check = TaxonomyReader.Check(Root, null, readRemoteDocuments: true);
        Assert.Equal(
        [
            $"{skill}:1:10: 'version' must be 2 or 3 for a skill, not 7",
            $"{skill}:10:13: 'seed_examples[2].answer' must not be empty",
            $"{mars}:1:1: missing required key 'domain'",
            $"{mars}:29:17: 'seed_examples[2].questions_and_answers[0].answer' must be a string, not a list",
        ], check.Problems.Select(p => p.ToString()));
        Assert.Equal("compositional_skills/math/decrement", Assert.Single(check.Leaves).Path);
    }

    [Fact]
    public void An_empty_or_missing_taxonomy()
    {
        Directory.CreateDirectory(Path.Combine(Root, "knowledge"));
        var e = Assert.Throws<RecipeException>(() => TaxonomyReader.Load(Root, null));
        Assert.Equal($"no qna.yaml under {Root}", Assert.Single(e.Problems).Message);
        var missing = Assert.Throws<DirectoryNotFoundException>(() => TaxonomyReader.Load(Path.Combine(_dir, "nope"), null));
        Assert.Contains("taxonomy folder not found", missing.Message);
    }
}
