using Merlinite.Engine.DataGeneration;
using Merlinite.Recipes.Running;
using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes.Tests;

/// <summary>The lab section (taxonomy, teacher, generation, SFT phases) read and checked like the rest of a recipe, and
/// the replay mix of an SFT phase.</summary>
public sealed class LabRecipeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-lab-recipe-").FullName;

    public LabRecipeTests()
    {
        RecipeFixtures.Write(_dir, "base.gguf", "instruct.gguf", "reference.gguf", "teacher.gguf");
        Directory.CreateDirectory(Path.Combine(_dir, "taxonomy"));
        File.WriteAllText(Path.Combine(_dir, "check.txt"), "Rate {question} [[N]]\n");
        File.WriteAllText(Path.Combine(_dir, "slot.txt"), "Answer {question} from {passage}\n");
    }

    public void Dispose() => Directory.Delete(_dir, true);

    // Good is 19 lines; the lab section starts at line 20.
    private const string Lab = """

        lab:
          taxonomy: taxonomy
          teacher:
            path: teacher.gguf
            system: ""
          generate:
            questions: 32
            min_question_rating: 6
            prompts:
              question_check: check.txt
          phases:
            - name: knowledge
              data: knowledge
              epochs: 2
            - name: skills
              data: skills
              replay: 0.25
        """;

    private string Write(string yaml)
    {
        string file = Path.Combine(_dir, "recipe.yaml");
        File.WriteAllText(file, yaml);
        return file;
    }

    private RecipeException Fails(string yaml) => Assert.Throws<RecipeException>(() => RecipeLoader.Load(Write(yaml)));

    private static void Has(RecipeException e, long line, long column, string text) =>
        Assert.Contains(e.Problems, p => p.Line == line && p.Column == column && p.Message.Contains(text, StringComparison.Ordinal));

    [Fact]
    public void The_lab_section_loads_into_generate_data_s_settings_and_the_phases()
    {
        var lab = RecipeLoader.Load(Write(BadRecipeTests.Good + Lab)).Recipe.Lab!;
        Assert.Equal(Path.Combine(_dir, "taxonomy"), lab.Taxonomy);
        Assert.Equal(Path.Combine(_dir, "teacher.gguf"), lab.Teacher.Path);
        Assert.Equal("", lab.Generate.Teacher.System);
        Assert.Equal(32, lab.Generate.QuestionsPerLeaf);
        Assert.Equal(6, lab.Generate.MinQuestionRating);
        Assert.Equal(7, lab.Generate.MinPairRating);
        Assert.Equal("Rate {question} [[N]]", lab.Generate.Prompts.QuestionCheck);
        Assert.Equal(new GenerationPrompts().PairCheck, lab.Generate.Prompts.PairCheck);
        Assert.Equal(new GenerateSettings().Teacher.N, lab.Generate.Teacher.N);
        Assert.Equal(["knowledge", "skills"], lab.Phases.Select(p => p.Name));
        Assert.Equal([LeafKind.Knowledge, LeafKind.Skill], lab.Phases.Select(p => p.Data));
        Assert.Equal(0.25, lab.Phases[1].Replay);
        Assert.Equal(2, lab.Phases[0].Epochs);
    }

    [Fact]
    public void Without_prompt_files_a_lab_recipe_takes_its_generated_data_and_another_recipe_is_refused()
    {
        string withoutFiles = BadRecipeTests.Good.Replace("  files: [prompts.jsonl]\n", "");
        Assert.NotNull(RecipeLoader.Load(Write(withoutFiles + Lab)).Recipe.Lab);
        Has(Fails(withoutFiles), 10, 3, "'prompts.files': is required (or a lab section");
    }

    [Fact] public void Replay_in_the_first_phase() => Has(Fails(BadRecipeTests.Good + Lab.Replace("      epochs: 2", "      replay: 0.5")), 33, 15, "no earlier phase to replay");
    [Fact] public void Replay_above_one() => Has(Fails(BadRecipeTests.Good + Lab.Replace("replay: 0.25", "replay: 1.5")), 36, 15, "must be in [0, 1]");
    [Fact] public void Unknown_data_kind() => Has(Fails(BadRecipeTests.Good + Lab.Replace("data: skills", "data: skill")), 35, 13, "'skill' is not one of knowledge, skills");
    [Fact] public void Missing_taxonomy_folder() => Has(Fails(BadRecipeTests.Good + Lab.Replace("taxonomy: taxonomy", "taxonomy: nowhere")), 21, 13, "folder not found");
    [Fact] public void Missing_teacher() => Has(Fails(BadRecipeTests.Good + Lab.Replace("teacher.gguf", "nope.gguf")), 23, 11, "file not found");
    [Fact] public void Unknown_prompt_name() => Has(Fails(BadRecipeTests.Good + Lab.Replace("question_check: check.txt", "judge: check.txt")), 29, 7, "unknown key 'lab.generate.prompts.judge'");
    [Fact] public void Bad_prompt_slot() => Has(Fails(BadRecipeTests.Good + Lab.Replace("question_check: check.txt", "answer: slot.txt")), 29, 15, "unknown slot {passage}");
    [Fact] public void Min_rating_out_of_range() => Has(Fails(BadRecipeTests.Good + Lab.Replace("min_question_rating: 6", "min_question_rating: 11")), 27, 26, "must be in [1, 10]");
    [Fact] public void Same_phase_name_twice() => Has(Fails(BadRecipeTests.Good + Lab.Replace("name: skills", "name: knowledge")), 34, 13, "names another phase too");

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.25, 10)]
    [InlineData(0.5, 20)]
    [InlineData(1.0, 40)]
    public void A_phase_replays_its_share_of_the_earlier_phases_data(double replay, int expected)
    {
        string own = Path.Combine(_dir, "skills.jsonl"), knowledge = Path.Combine(_dir, "knowledge.jsonl");
        File.WriteAllLines(own, Enumerable.Range(0, 30).Select(i => $"{{\"id\":\"s{i}\"}}"));
        File.WriteAllLines(knowledge, Enumerable.Range(0, 40).Select(i => $"{{\"id\":\"k{i}\"}}"));
        var lines = ReplayMix.Lines(own, [knowledge], replay, seed: 3);
        Assert.Equal(30 + expected, lines.Count);
        Assert.Equal(File.ReadAllLines(own), lines.Take(30));
        var replayed = lines.Skip(30).ToList();
        Assert.Equal(replayed.Count, replayed.Distinct().Count());             // no example twice
        Assert.All(replayed, l => Assert.Contains("\"k", l));
        Assert.Equal(lines, ReplayMix.Lines(own, [knowledge], replay, seed: 3)); // the same seed, the same mix
        if (expected is > 0 and < 40) Assert.NotEqual(replayed, ReplayMix.Lines(own, [knowledge], replay, seed: 4).Skip(30));
    }
}
