using Merlinite.Engine.Chat;
using Merlinite.Engine.DataGeneration;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Tests.DataGeneration;

/// <summary>
/// Data generation with a random-weight teacher: it writes noise, so no question survives the teacher's check (no
/// reply holds a [[rating]]). That is the empty-after-filter case, and the steps before it are real work to kill and
/// resume: a run killed in the middle of a leaf and rerun writes the same files as a run never killed.
/// </summary>
[Collection("tiny models")]
public sealed class GenerateDataJobTests(TinyModels models) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-generate-").FullName;

    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    private static GenerateSettings Settings(int context = 2048) => new()
    {
        QuestionsPerLeaf = 160, CheckTokens = 8, AnswerTokens = 8, ChunkWords = 60,
        Teacher = new GenerateSettings().Teacher with
        {
            // A random model seldom ends a reply within 8 tokens; a stop string ends most (a cut-off question is dropped).
            N = 8, Parallel = 8, System = "", Stop = ["e"], Runtime = new RuntimeSettings { Context = context, Threads = 1 },
            Sampling = new GenerateSettings().Teacher.Sampling with { MaxTokens = 8, Seed = 5 },
        },
    };

    private static TaxonomyLeaf Skill(string path) => new(path, LeafKind.Skill, $"Task of {path}.",
        Enumerable.Range(0, 5).Select(i => new SeedExample($"Question {i} of {path}?", $"Answer {i}.")).ToList(), []);

    private static TaxonomyLeaf Knowledge(int words) => new("knowledge/facts", LeafKind.Knowledge, "facts: a long document",
        Enumerable.Range(0, 15).Select(i => new SeedExample($"What is fact {i}?", $"Fact {i} is true.", $"Fact {i} is true, and so on.")).ToList(),
        [new LeafDocument("facts.md", string.Join("\n\n", Enumerable.Range(0, words / 20).Select(p =>
            string.Join(' ', Enumerable.Range(0, 20).Select(w => $"word{p}x{w}")) + ".")))]);

    private GenerateDataJob Job(string dir, IReadOnlyList<TaxonomyLeaf> leaves, GenerateSettings? settings = null) =>
        new(new ModelSpec(models.Mistral), leaves, Path.Combine(_dir, dir), settings ?? Settings());

    private static void Display(string title, Action<Action<double, string?>> work) => work((_, _) => { });

    [Fact]
    public void A_filter_that_rejects_everything_is_reported_per_leaf_with_counts_not_a_crash()
    {
        var job = Job("empty", [Skill("compositional_skills/a"), Skill("compositional_skills/b")]);
        var report = job.Run(ReuseRule.ResumeOrRefuse, Display, default);

        Assert.Equal(0, report.Examples);
        Assert.Equal(2, report.Empty.Count);
        foreach (var leaf in report.Leaves)
        {
            Assert.Equal(160, leaf.Samples);
            var check = leaf.Filters.Single(f => f.Name == "question check");
            Assert.True(check.In > 0, "the random teacher should still write some distinct first lines");
            Assert.Equal(0, check.Kept);
            Assert.Equal(check.In, check.Dropped.Values.Sum());
            Assert.Contains("EMPTY", leaf.Line());
        }
        Assert.Empty(File.ReadAllLines(job.SkillsPath));
        Assert.Empty(File.ReadAllLines(job.KnowledgePath));
        Assert.Equal(report.Leaves.Select(l => l.Line()), GenerationReport.Read(job.Output.Path).Leaves.Select(l => l.Line()));
        // The steps after an empty one did not run, and left nothing.
        Assert.False(File.Exists(Path.Combine(job.OutDir, "leaves", "compositional_skills", "a", "answers.jsonl")));
    }

    [Fact]
    public void A_run_killed_in_the_middle_of_a_leaf_resumes_to_the_files_of_an_unbroken_run()
    {
        TaxonomyLeaf[] leaves = [Skill("compositional_skills/a"), Skill("compositional_skills/b")];
        var whole = Job("whole", leaves);
        whole.Run(ReuseRule.ResumeOrRefuse, Display, default);

        var broken = Job("broken", leaves);
        using var cts = new CancellationTokenSource();
        // Kill leaf 2 while its teacher is writing questions (the first 40 % of a leaf's progress).
        Assert.ThrowsAny<OperationCanceledException>(() => broken.Run(ReuseRule.ResumeOrRefuse, (title, work) => work((f, _) =>
        {
            if (title.Contains("leaf 2/2", StringComparison.Ordinal) && f is > 0.05 and < 0.4) cts.Cancel();
        }), cts.Token));
        var first = broken.Leaf(0).Output;
        Assert.True(first.IsComplete);
        Assert.False(broken.Leaf(1).Output.IsComplete);
        Assert.False(broken.Output.IsComplete);
        var firstWritten = File.GetLastWriteTimeUtc(first.Path);

        var titles = new List<string>();
        broken.Run(ReuseRule.ResumeOrRefuse, (title, work) => { titles.Add(title); work((_, _) => { }); }, default);
        Assert.Equal(["generate: leaf 2/2 compositional_skills/b"], titles); // leaf 1 was kept, not redone
        Assert.Equal(firstWritten, File.GetLastWriteTimeUtc(first.Path));
        foreach (var file in Directory.GetFiles(whole.OutDir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".meta.json", StringComparison.Ordinal)))
        {
            string twin = Path.Combine(broken.OutDir, Path.GetRelativePath(whole.OutDir, file));
            Assert.True(File.Exists(twin), twin);
            Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(twin)), $"{Path.GetRelativePath(whole.OutDir, file)} differs");
        }
        Assert.Empty(Directory.GetFiles(broken.OutDir, "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public void An_edited_leaf_is_redone_and_the_others_are_kept()
    {
        var job = Job("edit", [Skill("compositional_skills/a"), Skill("compositional_skills/b")]);
        job.Run(ReuseRule.ResumeOrRefuse, Display, default);
        var edited = job with { Leaves = [Skill("compositional_skills/a"), Skill("compositional_skills/b") with { Description = "Another task." }] };
        var titles = new List<string>();
        // What the command passes without --restart: a changed taxonomy is not refused, its changed leaf is redone.
        edited.Run(ReuseRule.ResumeOrRefuse, (title, work) => { titles.Add(title); work((_, _) => { }); }, default);
        Assert.Equal(["generate: leaf 2/2 compositional_skills/b"], titles);
        Assert.Contains("Another task.", File.ReadAllText(Path.Combine(edited.OutDir, "leaves", "compositional_skills", "b", "questions.prompts.jsonl")));
    }

    [Fact]
    public void Knowledge_passages_are_cut_so_every_teacher_prompt_and_its_reply_fit_the_context()
    {
        const int context = 512;
        var settings = Settings(context) with { ChunkWords = 1000 }; // the context, not the word cap, limits the passages
        var job = Job("knowledge", [Knowledge(3000)], settings);
        var report = job.Run(ReuseRule.ResumeOrRefuse, Display, default);
        Assert.True(report.Leaves[0].Passages > 3, $"{report.Leaves[0].Passages} passages");

        using var vocab = LoadedModel.LoadVocabulary(models.Mistral);
        var renderer = new PromptRenderer(vocab, ChatTemplate.Merlinite);
        int room = job.Leaf(0).PassageRoom(vocab);
        var prompts = Merlinite.Engine.Data.PromptFile.Read(Path.Combine(job.OutDir, "leaves", "knowledge", "facts", "questions.prompts.jsonl"), null);
        Assert.NotEmpty(prompts);
        foreach (var p in prompts)
        {
            int tokens = vocab.TokenizePrompt(renderer.Render(p.Messages)).Length;
            Assert.True(tokens + settings.Teacher.Sampling.MaxTokens <= context, $"{tokens} prompt tokens + {settings.Teacher.Sampling.MaxTokens} do not fit {context}");
        }
        // The answer and its check come later in the same context: the passage's room leaves space for them too.
        Assert.True(room + settings.AnswerTokens + settings.CheckTokens + settings.Teacher.Sampling.MaxTokens < context);

        var tooSmall = Job("small", [Knowledge(200)], Settings(64));
        var e = Assert.Throws<SettingException>(() => tooSmall.Run(ReuseRule.ResumeOrRefuse, Display, default));
        Assert.Contains("knowledge/facts", e.Message);
        Assert.Contains("context", e.Message);
    }
}
