using System.Text;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.DataGeneration;

namespace Merlinite.Recipes.World;

/// <summary>
/// The tiny world's taxonomy, in InstructLab's qna.yaml layout: one knowledge leaf (what comes one after and one before
/// each digit, grounded in a document of those facts) and two skills (name the first, the last digit of a list). Its
/// teacher is the instruct model tuned further on the tiny prompts below: to write a question like the examples (and,
/// for knowledge, about a passage), to rate a question against the task, to answer, and to rate a pair as the judge
/// does. The prompts are short because the teacher is a 0.6M-parameter model; a real recipe uses the defaults of
/// <see cref="GenerationPrompts"/> or its own.
/// </summary>
public static class TinyTaxonomy
{
    public const string Folder = "taxonomy", DocumentsFolder = "documents", PromptsFolder = "lab-prompts", TeacherFile = "teacher.gguf";

    public static readonly GenerationPrompts Prompts = new()
    {
        Questions = "write a question like:\n{examples}",
        GroundedQuestions = "{context}\nwrite a question like:\n{examples}",
        QuestionCheck = "task: {task}\nquestion: {question}",
        Answer = "{question}",
        GroundedAnswer = "{context}\n{question}",
        PairCheck = "Rate: {question} = {answer}",
        GroundedPairCheck = "{context}\nRate: {question} = {answer}",
    };

    private sealed record Leaf(string Path, string Description, string[] Families);

    private const string KnowledgeDomain = "digits", KnowledgeOutline = "what comes one after and one before each digit";

    private static readonly Leaf Knowledge = new("knowledge/digits/counting", $"{KnowledgeDomain}: {KnowledgeOutline}", ["increment", "decrement"]);
    private static readonly Leaf[] Skills =
    [
        new("compositional_skills/digits/first", "Name the first digit of a list.", ["first"]),
        new("compositional_skills/digits/last", "Name the last digit of a list.", ["last"]),
    ];

    /// <summary>Writes the taxonomy and its document under <paramref name="world"/>, and the prompt files a recipe names.</summary>
    public static IEnumerable<(string RelativePath, string Text)> Files(Random rng)
    {
        yield return ($"{Folder}/{Knowledge.Path}/qna.yaml", KnowledgeYaml(rng));
        foreach (var leaf in Skills) yield return ($"{Folder}/{leaf.Path}/qna.yaml", SkillYaml(leaf, rng));
        yield return ($"{DocumentsFolder}/counting.md", Document());
        foreach (var (name, _) in GenerationPrompts.Names) yield return ($"{PromptsFolder}/{name}.txt", Prompts.Get(name));
    }

    /// <summary>The document: a paragraph per digit.</summary>
    private static string Document() => "# Counting with digits\n\n" + string.Join("\n\n", Enumerable.Range(0, 10).Select(Fact)) + "\n";

    private static string Fact(int d) => $"Add one: {d} gives {Digit(d + 1)}. Subtract one: {d} gives {Digit(d - 1)}.";

    private static string Digit(int x) => (((x % 10) + 10) % 10).ToString();

    private static string KnowledgeYaml(Random rng)
    {
        var y = new StringBuilder("version: 3\ncreated_by: merlinite-tiny-world\n").Append($"domain: {Q(KnowledgeDomain)}\nseed_examples:\n");
        foreach (int d in Distinct(5, rng))
        {
            int e = (d + 5) % 10;
            y.Append($"  - context: {Q(Fact(d) + " " + Fact(e))}\n    questions_and_answers:\n");
            foreach (var (q, a) in new[] { ($"Add one: {d}", Digit(d + 1)), ($"Subtract one: {d}", Digit(d - 1)), ($"Add one: {e}", Digit(e + 1)) })
                y.Append($"      - question: {Q(q)}\n        answer: {Q(a)}\n");
        }
        // The document sits beside the taxonomy in the world folder: a local repository, read as it is.
        y.Append($"document_outline: {Q(KnowledgeOutline)}\ndocument:\n  repo: {Q("../../../../" + DocumentsFolder)}\n  commit: local\n  patterns:\n    - \"*.md\"\n");
        return y.ToString();
    }

    private static string SkillYaml(Leaf leaf, Random rng)
    {
        var y = new StringBuilder("version: 2\ncreated_by: merlinite-tiny-world\n").Append($"task_description: {Q(leaf.Description)}\nseed_examples:\n");
        for (int i = 0; i < 5; i++)
        {
            var task = TinyTasks.Make(leaf.Families[0], rng);
            y.Append($"  - question: {Q(task.Prompt)}\n    answer: {Q(task.Right)}\n");
        }
        return y.ToString();
    }

    private static IEnumerable<int> Distinct(int count, Random rng) => Enumerable.Range(0, 10).OrderBy(_ => rng.Next()).Take(count).ToList();

    /// <summary>A YAML double-quoted scalar (JSON's string syntax is one).</summary>
    private static string Q(string s) => "\"" + System.Text.Json.JsonEncodedText.Encode(s, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping) + "\"";

    // ------------------------------------------------------------------ the teacher's tuning data

    /// <summary>What the teacher learns on top of the instruct model, in the exact text of <see cref="Prompts"/>: a
    /// mix of writing questions like the examples (with and without a passage), rating questions against a task,
    /// answering (with and without a passage) and rating pairs.</summary>
    public static IEnumerable<string> TeacherExamples(int count, Random rng) => Enumerable.Range(0, count).Select(i =>
    {
        var leaf = i % 3 == 0 ? Knowledge : Skills[i % 3 - 1];
        string family = leaf.Families[rng.Next(leaf.Families.Length)];
        var task = TinyTasks.Make(family, rng);
        string passage = string.Join(" ", Distinct(2, rng).Select(Fact));
        bool grounded = leaf == Knowledge;
        var slots = new Dictionary<string, string> { ["task"] = leaf.Description, ["question"] = task.Prompt, ["context"] = passage };
        string user, reply;
        switch (i / 3 % 4)
        {
            case 0: // write a question of the family like the examples
                slots["examples"] = GenerationPrompts.Examples(Enumerable.Range(0, 3).Select(_ => TinyTasks.Make(family, rng)).Select(t => new SeedExample(t.Prompt, t.Right)));
                user = GenerationPrompts.Fill(grounded ? Prompts.GroundedQuestions : Prompts.Questions, slots);
                reply = task.Prompt;
                break;
            case 1: // rate a question: one of the task's families, or another's
                bool fits = rng.Next(2) == 0;
                var asked = fits ? task : TinyTasks.Make(TinyTasks.Sources.Except(leaf.Families).ElementAt(rng.Next(4 - leaf.Families.Length)), rng);
                slots["question"] = asked.Prompt;
                user = GenerationPrompts.Fill(Prompts.QuestionCheck, slots);
                reply = fits ? "Rating: [[9]]" : "Rating: [[2]]";
                break;
            case 2: // answer right
                user = GenerationPrompts.Fill(grounded ? Prompts.GroundedAnswer : Prompts.Answer, slots);
                reply = task.Right;
                break;
            default: // rate a pair as the judge does
                bool right = rng.Next(2) == 0;
                slots["answer"] = right ? task.Right : task.Wrong;
                user = GenerationPrompts.Fill(grounded ? Prompts.GroundedPairCheck : Prompts.PairCheck, slots);
                reply = right ? "Rating: [[10]]" : "Rating: [[1]]";
                break;
        }
        return PromptFile.Format(new PromptItem($"teach{i}", [ChatMessage.User(user), ChatMessage.Assistant(reply)], null));
    }).ToList();
}
