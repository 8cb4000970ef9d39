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
        QuestionCheck = "check question: {question}",
        Answer = "{question}",
        // A 0.6M-parameter model answers and rates worse with a passage before the question than without (measured:
        // most grounded answers wrong), and the facts are ones it knows; so knowledge questions are answered and
        // rated as skills are, and only their writing is grounded.
        GroundedAnswer = "{question}",
        PairCheck = "Rate: {question} = {answer}",
        GroundedPairCheck = "Rate: {question} = {answer}",
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

    private static readonly string[] NoiseWords = ["blue", "Sure", "items", "Answer", "do", "sort", "five", "not", "Rating:", "of:", "one:"];

    /// <summary>A question made unanswerable: its digits replaced by a word, a word pushed in, or cut short.</summary>
    private static string Garble(string question, Random rng)
    {
        int colon = question.IndexOf(':') + 1;
        string word = NoiseWords[rng.Next(NoiseWords.Length)];
        return rng.Next(3) switch
        {
            0 => $"{question[..colon]} {word}",
            1 => $"{question[..colon]} {word} {question[colon..].Trim()}",
            _ => question[..colon],
        };
    }

    /// <summary>What the teacher learns on top of the instruct model, in the exact text of <see cref="Prompts"/>: a
    /// mix of writing questions like the examples (with a passage for knowledge), rating questions against a task,
    /// answering (every family, with and without a passage: tuned on the other roles alone it forgot how) and rating
    /// pairs as the judge does.</summary>
    public static IEnumerable<string> TeacherExamples(int count, Random rng) => Enumerable.Range(0, count).Select(i =>
    {
        var leaf = rng.Next(3) switch { 0 => Knowledge, int k => Skills[k - 1] };
        string family = leaf.Families[rng.Next(leaf.Families.Length)];
        var task = TinyTasks.Make(family, rng);
        bool grounded = leaf == Knowledge;
        var slots = new Dictionary<string, string>
        {
            ["task"] = leaf.Description, ["question"] = task.Prompt, ["context"] = string.Join(" ", Distinct(2, rng).Select(Fact)),
        };
        string user, reply;
        switch (i % 10)
        {
            case 0 or 1 or 2: // write a question like the examples, which mix the leaf's families as its seeds do
                slots["examples"] = GenerationPrompts.Examples(Enumerable.Range(0, 3)
                    .Select(_ => TinyTasks.Make(leaf.Families[rng.Next(leaf.Families.Length)], rng)).Select(t => new SeedExample(t.Prompt, t.Right)));
                user = GenerationPrompts.Fill(grounded ? Prompts.GroundedQuestions : Prompts.Questions, slots);
                reply = task.Prompt;
                break;
            case 3: // rate a question: well formed, or garbled the ways a small sampler garbles them
                bool clean = rng.Next(2) == 0;
                slots["question"] = clean ? task.Prompt : Garble(task.Prompt, rng);
                user = GenerationPrompts.Fill(Prompts.QuestionCheck, slots);
                reply = clean ? "Rating: [[9]]" : "Rating: [[2]]";
                break;
            case 4 or 5 or 6: // answer right, any family (the answers are the data: the most practice goes here)
                var any = TinyTasks.Make(TinyTasks.Sources[rng.Next(TinyTasks.Sources.Length)], rng);
                user = GenerationPrompts.Fill(Prompts.Answer, new Dictionary<string, string> { ["question"] = any.Prompt });
                reply = any.Right;
                break;
            case 7: // answer right from a passage (the knowledge leaf's questions)
                var fact = TinyTasks.Make(Knowledge.Families[rng.Next(Knowledge.Families.Length)], rng);
                user = GenerationPrompts.Fill(Prompts.GroundedAnswer, new Dictionary<string, string> { ["context"] = slots["context"], ["question"] = fact.Prompt });
                reply = fact.Right;
                break;
            default: // rate a pair. 9 and 2, not 10 and 1: those share the token "1", and a greedy reader of an unsure
                     // model then always takes the same branch after it (the world's judge rates everything [[1]]).
                bool right = rng.Next(2) == 0;
                slots["answer"] = right ? task.Right : task.Wrong;
                user = GenerationPrompts.Fill(grounded ? Prompts.GroundedPairCheck : Prompts.PairCheck, slots);
                reply = right ? "Rating: [[9]]" : "Rating: [[2]]";
                break;
        }
        return PromptFile.Format(new PromptItem($"teach{i}", [ChatMessage.User(user), ChatMessage.Assistant(reply)], null));
    }).ToList();
}
