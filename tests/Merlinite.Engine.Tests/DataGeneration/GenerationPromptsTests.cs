using Merlinite.Engine.DataGeneration;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Tests.DataGeneration;

public sealed class GenerationPromptsTests
{
    [Fact]
    public void The_defaults_are_valid_and_fill_their_slots()
    {
        var settings = new GenerateSettings();
        Assert.Empty(settings.Problems().OfType<SettingProblem>());
        string text = GenerationPrompts.Fill(settings.Prompts.PairCheck, new Dictionary<string, string> { ["task"] = "T", ["question"] = "Q?", ["answer"] = "A." });
        Assert.Contains("Task: T\nQuestion: Q?\nAnswer: A.", text);
        Assert.DoesNotContain("{", text);
    }

    [Fact]
    public void A_user_prompt_with_an_unknown_slot_or_without_its_question_is_refused()
    {
        var prompts = new GenerationPrompts().With("answer", "Reply to {qestion}").With("pair_check", "Rate {answer} [[N]]");
        var problems = new GenerateSettings { Prompts = prompts }.Problems().OfType<SettingProblem>().ToList();
        Assert.Contains(problems, p => p.Key == "prompts.answer" && p.Render(k => k).Contains("unknown slot {qestion}"));
        Assert.Contains(problems, p => p.Key == "prompts.pair_check" && p.Render(k => k).Contains("must contain {question}"));
        Assert.Throws<SettingException>(() => new GenerationPrompts().With("answers", "x"));
    }

    [Fact]
    public void A_prompt_file_loses_its_final_line_break()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "{question}\n");
            Assert.Equal("{question}", new GenerationPrompts().WithFile("answer", file).Answer);
        }
        finally { File.Delete(file); }
    }

    [Theory]
    [InlineData(0, "questions")]
    [InlineData(11, "min_question_rating")]
    [InlineData(0, "min_pair_rating")]
    [InlineData(5, "chunk_words")]
    public void Settings_out_of_range_are_named(int value, string key)
    {
        var s = key switch
        {
            "questions" => new GenerateSettings { QuestionsPerLeaf = value },
            "min_question_rating" => new GenerateSettings { MinQuestionRating = value },
            "min_pair_rating" => new GenerateSettings { MinPairRating = value },
            _ => new GenerateSettings { ChunkWords = value },
        };
        Assert.Contains(s.Problems().OfType<SettingProblem>(), p => p.Key == key);
    }
}
