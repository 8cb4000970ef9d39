using Merlinite.Engine.Data;
using Merlinite.Engine.Evaluation;

namespace Merlinite.Engine.Tests.Evaluation;

/// <summary>Which rows become a question's worked examples (issue 28: rows without an id used to collide by line
/// number with the question and were dropped).</summary>
public class FewShotTests
{
    private static readonly string[] Dev = ["d1", "d2", "d3"];

    private static ShotPlan Plan(EvalKind kind, int k, ShotSampler sampler = ShotSampler.FirstN,
        bool fromData = false) => ShotPlan.For(kind, k, sampler, fromData);

    [Fact]
    public void A_shots_file_row_is_never_dropped_for_sharing_the_questions_line()
    {
        // Question 1 of the test file and row 1 of the dev file both get the id "1" when neither has one.
        var shots = new FewShot<string>(Dev, "dev.jsonl", Plan(EvalKind.Mmlu, 3), _ => null);
        Assert.Equal(Dev, shots.Pick(0, "test question 1"));
        Assert.Equal(Dev, shots.Pick(1, "test question 2"));
    }

    [Fact]
    public void Three_shots_from_three_dev_rows_of_a_subject_use_all_three()
    {
        string[] pool = ["g1", "b1", "g2", "g3", "b2"];
        var shots = new FewShot<string>(pool, "dev.jsonl", Plan(EvalKind.Mmlu, 3), s => s[..1]);
        Assert.Equal(["g1", "g2", "g3"], shots.Pick(0, "g-question"));
        var e = Assert.Throws<InputFormatException>(() => shots.Pick(1, "b-question"));
        Assert.Contains("3-shot needs 3 examples of subject 'b' but the shots file has 2", e.Message);
    }

    [Fact]
    public void Shots_from_the_data_itself_leave_out_the_question_and_only_it()
    {
        string[] data = ["q0", "q1", "q2", "q3"];
        var shots = new FewShot<string>(data, "test.jsonl", Plan(EvalKind.Gsm8k, 2, fromData: true), _ => null);
        Assert.Equal(["q1", "q2"], shots.Pick(0, "q0"));
        Assert.Equal(["q0", "q2"], shots.Pick(1, "q1"));
        Assert.Equal(["q0", "q1"], shots.Pick(3, "q3"));
    }

    [Fact]
    public void Lm_evals_sampler_is_first_n_for_mmlu_and_seeded_random_for_the_others()
    {
        Assert.Equal(ShotSampler.FirstN, Plan(EvalKind.Mmlu, 3, ShotSampler.LmEval).Sampler);
        Assert.Equal(ShotSampler.LmEval, Plan(EvalKind.Arc, 3, ShotSampler.LmEval).Sampler);
        // lm-eval draws k + 1 when its few-shot split equals its test split: HellaSwag and WinoGrande name neither.
        Assert.True(Plan(EvalKind.Hellaswag, 2).DrawsExtra);
        Assert.True(Plan(EvalKind.Winogrande, 2).DrawsExtra);
        Assert.False(Plan(EvalKind.Arc, 2).DrawsExtra);
        Assert.True(Plan(EvalKind.Arc, 2, fromData: true).DrawsExtra);
        // random.Random(1234).sample(range(3), 2) in CPython 3.11 is [1, 0], then [0, 2] from the same stream.
        var shots = new FewShot<string>(Dev, "train.jsonl", Plan(EvalKind.Arc, 2, ShotSampler.LmEval), _ => null);
        Assert.Equal(["d2", "d1"], shots.Pick(0, "q0"));
        Assert.Equal(["d1", "d3"], shots.Pick(1, "q1"));
    }

    [Theory]
    [InlineData("Answer:", " A", "Answer:", " A")]
    [InlineData("Answer: ", "A", "Answer:", " A")]
    [InlineData("Answer:\n\n", "A", "Answer:", "\n\nA")]
    [InlineData("Answer:\t \r\n", "A", "Answer:", "\t \r\nA")]
    [InlineData("Answer:\u001f\u00a0\u3000", "A", "Answer:", "\u001f\u00a0\u3000A")] // all str.isspace in Python
    [InlineData("Answer:\u200b", "A", "Answer:\u200b", "A")]                         // zero width space is not
    public void Encode_pair_moves_all_trailing_whitespace_as_pythons_rstrip(string context, string continuation,
        string wantContext, string wantContinuation)
    {
        Assert.Equal((wantContext, wantContinuation), EvalPrompts.EncodePair(context, continuation));
    }
}
