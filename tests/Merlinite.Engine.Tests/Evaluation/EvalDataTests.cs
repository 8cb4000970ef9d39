using Merlinite.Engine.Data;
using Merlinite.Engine.Evaluation;

namespace Merlinite.Engine.Tests.Evaluation;

/// <summary>Rows of each public layout framed as lm-evaluation-harness frames them (fixtures written for these tests).</summary>
public sealed class EvalDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("merlinite-evaldata-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string File(params string[] lines)
    {
        string path = Path.Combine(_dir, $"f{Guid.NewGuid():N}.jsonl");
        System.IO.File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Mmlu_lists_lettered_choices_then_Answer_and_scores_the_letters_under_a_subject_description()
    {
        var q = EvalData.ReadChoices(EvalKind.Mmlu, File("""{"question":" What is 2+2? ","choices":["3","4","5","22"],"answer":1,"subject":"elementary_mathematics"}""")).Single();
        Assert.Equal("What is 2+2?\nA. 3\nB. 4\nC. 5\nD. 22\nAnswer:", q.Options[0].Query);
        Assert.Equal(["A", "B", "C", "D"], q.Options.Select(o => o.Choice));
        Assert.Equal(1, q.Gold);
        Assert.Equal("The following are multiple choice questions (with answers) about elementary mathematics.\n\n", q.Description);
        Assert.Equal("elementary_mathematics", q.Subject);
    }

    [Fact]
    public void Arc_asks_Question_Answer_and_finds_the_gold_by_its_label()
    {
        var q = EvalData.ReadChoices(EvalKind.Arc, File("""{"id":"Mercury_1","question":"Which is a gas?","choices":{"text":["ice","steam","rock"],"label":["A","B","C"]},"answerKey":"B"}""")).Single();
        Assert.Equal("Question: Which is a gas?\nAnswer:", q.Options[1].Query);
        Assert.Equal(["ice", "steam", "rock"], q.Options.Select(o => o.Choice));
        Assert.Equal(1, q.Gold);
        Assert.Equal("Mercury_1", q.Id);
    }

    [Fact]
    public void Hellaswag_joins_label_and_contexts_capitalizes_ctx_b_and_cleans_bracketed_artefacts()
    {
        var q = EvalData.ReadChoices(EvalKind.Hellaswag, File(
            """{"activity_label":"Baking cookies","ctx_a":"A woman mixes flour [header] in a bowl.","ctx_b":"then SHE","endings":["adds eggs [title] Stir well.","  sings."],"label":"0"}""")).Single();
        // ctx_b.capitalize() lower-cases the rest ("then SHE" -> "Then she"); "[header]" goes, " [title]" becomes ". ".
        Assert.Equal("Baking cookies: A woman mixes flour in a bowl. Then she", q.Options[0].Query);
        Assert.Equal("adds eggs. Stir well.", q.Options[0].Choice);
        Assert.Equal("sings.", q.Options[1].Choice);
        Assert.Equal(0, q.Gold);
    }

    [Fact]
    public void Winogrande_scores_the_text_after_the_blank_under_each_option_filled_in()
    {
        var q = EvalData.ReadChoices(EvalKind.Winogrande, File(
            """{"sentence":"The trophy did not fit in the case because the _ was too big.","option1":"trophy","option2":"case","answer":"1"}""")).Single();
        Assert.Equal("The trophy did not fit in the case because the trophy", q.Options[0].Query);
        Assert.Equal("The trophy did not fit in the case because the case", q.Options[1].Query);
        Assert.All(q.Options, o => Assert.Equal("was too big.", o.Choice));
        Assert.Equal(0, q.Gold);
    }

    [Fact]
    public void Gsm8k_rows_need_a_final_answer_line()
    {
        var p = EvalData.ReadMath(File("""{"question":"1+1?","answer":"One and one.\n#### 2"}""")).Single();
        Assert.Equal("2", AnswerExtraction.Reference(p.Answer));
        var e = Assert.Throws<InputFormatException>(() => EvalData.ReadMath(File("""{"question":"1+1?","answer":"2"}""")));
        Assert.Contains(":1: \"answer\" has no final \"#### number\"", e.Message);
        // An empty target could never be matched: the row would be scored wrong forever.
        foreach (var empty in new[] { "#### ", "So #### .", "#### $,\\n" })
        {
            e = Assert.Throws<InputFormatException>(() => EvalData.ReadMath(File(
                """{"question":"1+1?","answer":"#### 2"}""", $$"""{"question":"q","answer":"{{empty}}"}""")));
            Assert.Contains(":2: \"answer\" has nothing after its final \"#### \"", e.Message);
        }
    }

    [Fact]
    public void Mt_bench_questions_keep_their_question_ids_turns_and_references()
    {
        var qs = EvalData.ReadJudged(File(
            """{"question_id":81,"category":"writing","turns":["Write a poem.","Now shorter."]}""",
            """{"question_id":111,"category":"math","turns":["2+2?"],"reference":["4"]}"""));
        Assert.Equal(["81", "111"], qs.Select(q => q.Id));
        Assert.Equal(2, qs[0].Turns.Count);
        Assert.Null(qs[0].References);
        Assert.Equal(["4"], qs[1].References!);
    }

    [Theory]
    [InlineData("mmlu", """{"question":"q","choices":["only one"],"answer":0}""", "\"choices\" needs at least 2 items, has 1")]
    [InlineData("mmlu", """{"question":"q","choices":["a","b"],"answer":2}""", "\"answer\" is 2 but there are 2 choices")]
    [InlineData("mmlu", """{"question":"q","choices":["a",3],"answer":0}""", "choices[1] must be a string")]
    [InlineData("mmlu", """{"choices":["a","b"],"answer":0}""", "expected a string \"question\"")]
    [InlineData("arc", """{"question":"q","choices":{"text":["a","b"],"label":["A","B"]},"answerKey":"E"}""", "answerKey 'E' is not one of the labels")]
    [InlineData("arc", """{"question":"q","choices":["a","b"],"answerKey":"A"}""", "expected an object \"choices\"")]
    [InlineData("hellaswag", """{"activity_label":"x","ctx_a":"a","ctx_b":"b","endings":["e","f"],"label":"x"}""", "\"label\" must be an index")]
    [InlineData("winogrande", """{"sentence":"no blank here","option1":"a","option2":"b","answer":"1"}""", "\"sentence\" has no \"_\" blank")]
    [InlineData("winogrande", """{"sentence":"a _ b","option1":"a","option2":"b","answer":3}""", "\"answer\" must be \"1\" or \"2\"")]
    public void Malformed_rows_are_refused_with_file_line_and_field(string kind, string row, string expected)
    {
        var valid = new Dictionary<string, string>
        {
            ["mmlu"] = """{"question":"q","choices":["a","b"],"answer":0}""",
            ["arc"] = """{"question":"q","choices":{"text":["a","b"],"label":["A","B"]},"answerKey":"A"}""",
            ["hellaswag"] = """{"activity_label":"x","ctx_a":"a","ctx_b":"b","endings":["e","f"],"label":0}""",
            ["winogrande"] = """{"sentence":"a _ b","option1":"a","option2":"b","answer":"1"}""",
        };
        string path = File(valid[kind], row);
        var e = Assert.Throws<InputFormatException>(() => EvalData.ReadChoices(EvalKinds.Parse(kind), path));
        Assert.Contains($"{path}:2: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

}
