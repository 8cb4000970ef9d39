namespace Merlinite.Recipes.Taxonomy;

/// <summary>
/// The limits InstructLab's taxonomy schema sets on a qna.yaml, in one place: they keep seed examples small enough to
/// fit a teacher model's prompt several at a time, and numerous enough to show it the range of a skill or document.
/// </summary>
internal static class QnaRules
{
    public const string FileName = "qna.yaml";
    public const string KnowledgeFolder = "knowledge";

    public const int KnowledgeVersion = 3;
    public static readonly int[] SkillVersions = [2, 3];
    public const int MinSeedExamples = 5;
    public const int MinQuestionsAndAnswers = 3;
    public const int MaxContextWords = 500;
    public const int MaxQuestionAndAnswerWords = 250;
    public const int MinPatterns = 1;

    /// <summary>Words as the schema counts them: whitespace-separated tokens.</summary>
    public static int Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
}
