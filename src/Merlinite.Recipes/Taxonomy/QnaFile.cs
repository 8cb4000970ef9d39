using Merlinite.Engine.DataGeneration;
using Merlinite.Recipes.Schema;
using YamlDotNet.RepresentationModel;

namespace Merlinite.Recipes.Taxonomy;

/// <summary>Where a knowledge leaf's documents are: the repo as written, its commit, and the glob patterns, each with
/// its node so that a pattern matching nothing is reported at that pattern.</summary>
internal sealed record DocumentSpec(string Repo, YamlNode RepoNode, string Commit, IReadOnlyList<(string Pattern, YamlNode Node)> Patterns);

/// <summary>What a qna.yaml says, once read: the leaf's description and seeds, and where its documents are (knowledge
/// only). <see cref="Document"/> is set whenever the document block itself is sound, so the documents are checked
/// even when the rest of the file has problems.</summary>
internal sealed record QnaContent(string? Description, IReadOnlyList<SeedExample>? Seeds, DocumentSpec? Document);

/// <summary>
/// Reads one qna.yaml against InstructLab's format (knowledge version 3, skills version 2 or 3), reporting every
/// problem into a <see cref="YamlShape"/>. Whether a file is knowledge is decided by the leaf's place in the tree
/// (under knowledge/); whether a skill is grounded by its content (a context in its seed examples), wherever it lives,
/// as InstructLab's schema allows a context in any skill.
/// </summary>
internal static class QnaFile
{
    public static QnaContent Read(YamlShape shape, bool knowledge)
    {
        string? text = YamlDocumentReader.ReadUtf8(shape.File);
        if (text is null)
        {
            shape.Add(YamlDotNet.Core.Mark.Empty, "not valid UTF-8; save the qna.yaml as UTF-8");
            return new(null, null, null);
        }
        if (string.IsNullOrWhiteSpace(text))
        {
            shape.Add(YamlDotNet.Core.Mark.Empty, $"the file is empty; a qna.yaml is a mapping of keys ({(knowledge ? KnowledgeKeys : SkillKeys)[0]}, ...)");
            return new(null, null, null);
        }
        YamlNode root;
        try { root = UnderIndentedQuotes.Parse(shape, text); }
        catch (RecipeException e)
        {
            shape.Problems.AddRange(e.Problems);
            return new(null, null, null);
        }
        if (OldVersion(shape, root)) return new(null, null, null);
        return knowledge ? Knowledge(shape, root) : Skill(shape, root);
    }

    /// <summary>Version 1 (written as no version key, or 1) is InstructLab's old format, with other keys: that is
    /// reported alone, since every key it lacks or has in the old place follows from it.</summary>
    private static bool OldVersion(YamlShape shape, YamlNode root)
    {
        if (root is not YamlMappingNode map) return false;
        var version = map.Children.FirstOrDefault(e => e.Key is YamlScalarNode { Value: "version" });
        if (version.Key is null)
            shape.Add(root, "no 'version': this is InstructLab's version 1 format, which merlinite does not read; "
                + " convert it to version 3 (knowledge) or 2/3 (skills) with the keys those require");
        else if (version.Value is YamlScalarNode { Value: "1" })
            shape.Add(version.Value, "'version' 1 is InstructLab's version 1 format, which merlinite does not read; "
                + "convert it to version 3 (knowledge) or 2/3 (skills) with the keys those require");
        else return false;
        return true;
    }

    private static readonly string[] KnowledgeKeys = ["version", "created_by", "domain", "seed_examples", "document_outline", "document"];
    private static readonly string[] SkillKeys = ["version", "created_by", "task_description", "seed_examples"];

    private static QnaContent Knowledge(YamlShape shape, YamlNode root)
    {
        var map = shape.Mapping(root, "", KnowledgeKeys);
        if (map is null) return new(null, null, null);
        if (map.TryGetValue("version", out var v) && shape.Int(v.Value, "version") is int version && version != QnaRules.KnowledgeVersion)
            shape.Add(v.Value, $"'version' must be {QnaRules.KnowledgeVersion} for knowledge (InstructLab's knowledge format), not {version}");
        shape.String(map, "", "created_by");
        string? domain = shape.String(map, "", "domain");
        string? outline = shape.String(map, "", "document_outline");

        List<SeedExample>? seeds = null;
        if (map.TryGetValue("seed_examples", out var s)
            && shape.List(s.Value, "seed_examples", QnaRules.MinSeedExamples, unique: true) is { } items)
        {
            seeds = [];
            for (int i = 0; i < items.Count; i++)
            {
                var pairs = KnowledgeSeed(shape, items[i], $"seed_examples[{i}]");
                if (pairs is null) seeds = null;
                else seeds?.AddRange(pairs);
            }
        }
        var document = map.TryGetValue("document", out var d) ? Document(shape, d.Value) : null;
        return new(domain is null || outline is null ? null : $"{domain.Trim()}: {outline.Trim()}", seeds, document);
    }

    /// <summary>A context and its question/answer pairs, one <see cref="SeedExample"/> per pair; null when any part is wrong.</summary>
    private static List<SeedExample>? KnowledgeSeed(YamlShape shape, YamlNode node, string path)
    {
        var map = shape.Mapping(node, path, ["context", "questions_and_answers"]);
        if (map is null) return null;
        string? context = shape.String(map, path, "context");
        if (context is not null && QnaRules.Words(context) is var words and > QnaRules.MaxContextWords)
        {
            shape.Add(map["context"].Value, $"'{path}.context' has {words} words; at most {QnaRules.MaxContextWords}");
            context = null;
        }
        if (!map.TryGetValue("questions_and_answers", out var qa)) return null;
        string qaPath = $"{path}.questions_and_answers";
        if (shape.List(qa.Value, qaPath, QnaRules.MinQuestionsAndAnswers, unique: true) is not { } items)
            return null;
        var seeds = new List<SeedExample>();
        bool ok = context is not null;
        for (int i = 0; i < items.Count; i++)
        {
            if (Pair(shape, items[i], $"{qaPath}[{i}]") is var (q, a)) seeds.Add(new SeedExample(q, a, context?.Trim()));
            else ok = false;
        }
        return ok ? seeds : null;
    }

    private static (string Question, string Answer)? Pair(YamlShape shape, YamlNode node, string path)
    {
        var map = shape.Mapping(node, path, ["question", "answer"]);
        string? question = shape.String(map, path, "question"), answer = shape.String(map, path, "answer");
        if (question is null || answer is null) return null;
        if (QnaRules.Words(question) + QnaRules.Words(answer) is var words and > QnaRules.MaxQuestionAndAnswerWords)
        {
            shape.Add(node, $"'{path}': question and answer together have {words} words; at most {QnaRules.MaxQuestionAndAnswerWords}");
            return null;
        }
        return (question.Trim(), answer.Trim());
    }

    private static DocumentSpec? Document(YamlShape shape, YamlNode node)
    {
        var map = shape.Mapping(node, "document", ["repo", "commit", "patterns"]);
        string? repo = shape.String(map, "document", "repo");
        string? commit = shape.String(map, "document", "commit");
        if (map is null || !map.TryGetValue("patterns", out var p)
            || shape.List(p.Value, "document.patterns", QnaRules.MinPatterns, unique: true) is not { } items)
            return null;
        var patterns = new List<(string, YamlNode)>();
        for (int i = 0; i < items.Count; i++)
            if (shape.String(items[i], $"document.patterns[{i}]") is { } pattern) patterns.Add((pattern.Trim(), items[i]));
        return repo is null || commit is null || patterns.Count < items.Count || items.Count == 0
            ? null : new DocumentSpec(repo.Trim(), map["repo"].Value, commit.Trim(), patterns);
    }

    private static QnaContent Skill(YamlShape shape, YamlNode root)
    {
        var map = shape.Mapping(root, "", SkillKeys);
        if (map is null) return new(null, null, null);
        if (map.TryGetValue("version", out var v) && shape.Int(v.Value, "version") is int version
            && !QnaRules.SkillVersions.Contains(version))
            shape.Add(v.Value, $"'version' must be {string.Join(" or ", QnaRules.SkillVersions)} for a skill, not {version}");
        shape.String(map, "", "created_by");
        string? description = shape.String(map, "", "task_description");

        List<SeedExample>? seeds = null;
        if (map.TryGetValue("seed_examples", out var s)
            && shape.List(s.Value, "seed_examples", QnaRules.MinSeedExamples, unique: true) is { } items)
        {
            seeds = [];
            for (int i = 0; i < items.Count; i++)
            {
                var seed = SkillSeed(shape, items[i], $"seed_examples[{i}]");
                if (seed is null) seeds = null;
                else seeds?.Add(seed);
            }
        }
        return new(description?.Trim(), seeds, null);
    }

    /// <summary>A question and answer, and optionally the context they rest on: the schema (v2 and v3) allows a context
    /// in any skill's seed example and requires it in none, whatever the folder is named.</summary>
    private static SeedExample? SkillSeed(YamlShape shape, YamlNode node, string path)
    {
        var map = shape.Mapping(node, path, ["question", "answer"], "context");
        if (map is null) return null;
        string? question = shape.String(map, path, "question"), answer = shape.String(map, path, "answer");
        bool hasContext = map.ContainsKey("context");
        string? context = hasContext ? shape.String(map, path, "context") : null;
        return question is null || answer is null || (hasContext && context is null)
            ? null : new SeedExample(question.Trim(), answer.Trim(), context?.Trim());
    }
}
