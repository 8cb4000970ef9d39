using System.Security.Cryptography;
using System.Text;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Evaluation;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;

namespace Merlinite.Engine.DataGeneration;

/// <summary>
/// Makes one leaf's training examples with the teacher, in four steps, each a best-of-N <see cref="SampleJob"/> over a
/// prompt file in the leaf's folder (so each teacher prompt decodes once for all its samples, in parallel batches, and
/// each step resumes where a killed run stopped, under the fingerprint rules of every job):
/// <list type="number">
/// <item>questions: N samples per prompt of seed examples (and, for grounded leaves, a passage);</item>
/// <item>question check: the teacher rates each new, distinct question;</item>
/// <item>answers: the teacher answers the questions it kept (from the passage, for grounded leaves);</item>
/// <item>pair check: the teacher rates each question and answer (faithfulness to the passage, for grounded leaves).</item>
/// </list>
/// The steps in between (parsing, de-duplication, thresholds) are pure functions of the files before them, so they
/// are redone on every run instead of stored. data.jsonl appears only when the leaf is done; leaf.json has its counts.
/// </summary>
public sealed class LeafGeneration(ModelSpec teacher, TaxonomyLeaf leaf, string dir, GenerateSettings settings) : Jobs.IJob
{
    public TaxonomyLeaf Leaf => leaf;
    public OutputFile Output => new(Path.Combine(dir, "data.jsonl"));
    public IReadOnlyList<string> Inputs => [];
    public void Make(Action<double, string?> report, CancellationToken ct) => Run(ReuseRule.ResumeOrRecompute, report, ct);
    public string ReportPath => Path.Combine(dir, "leaf.json");
    private string File(string name) => Path.Combine(dir, name);

    public Fingerprint Fingerprint()
    {
        var f = new Fingerprint("generate-leaf").AddModel("teacher", teacher).Add("leaf", leaf.Path).Add("leaf_sha256", Digest(leaf));
        return settings.AddTo(f);
    }

    /// <summary>The steps' weights in the leaf's progress (question writing and answers decode the most tokens).</summary>
    private static readonly (string Name, double Weight)[] Steps = [("questions", 0.4), ("question check", 0.15), ("answers", 0.3), ("pair check", 0.15)];

    public LeafReport Run(ReuseRule reuse, Action<double, string?>? report, CancellationToken ct)
    {
        var output = Output;
        if (output.Prepare(Fingerprint(), reuse) && System.IO.File.Exists(ReportPath)) return LeafReport.Read(ReportPath);
        Directory.CreateDirectory(dir);
        var passages = Passages();

        // 1. questions
        var prompts = QuestionPrompts(passages);
        var samples = Step(0, "questions", prompts, settings.Teacher, report, ct);
        var (candidates, questionFilter) = Candidates(samples, passages, prompts.Count);

        // 2. question check
        var ratings = Step(1, "question-check", candidates.Select(c => Prompt(c.Id,
            Fill(settings.Prompts.QuestionCheck, c, null))).ToList(), settings.Greedy(settings.CheckTokens), report, ct);
        var (asked, checkFilter) = Rated("question check", candidates, ratings, settings.MinQuestionRating);

        // 3. answers
        var answers = Step(2, "answers", asked.Select(c => Prompt(c.Id,
            Fill(c.Passage is null ? settings.Prompts.Answer : settings.Prompts.GroundedAnswer, c, null))).ToList(),
            settings.Greedy(settings.AnswerTokens), report, ct);
        var (pairs, answerFilter) = Answered(asked, answers);

        // 4. pair check
        var pairRatings = Step(3, "pair-check", pairs.Select(p => Prompt(p.Question.Id,
            Fill(p.Question.Passage is null ? settings.Prompts.PairCheck : settings.Prompts.GroundedPairCheck, p.Question, p.Answer))).ToList(),
            settings.Greedy(settings.CheckTokens), report, ct);
        var (kept, pairFilter) = Rated(leaf.Kind == LeafKind.Knowledge || leaf.Grounded ? "faithfulness" : "pair check",
            pairs.Select(p => p.Question with { Answer = p.Answer }).ToList(), pairRatings, settings.MinPairRating);

        var result = new LeafReport(leaf.Path, leaf.Kind, passages.Count, samples.Sum(s => s.Samples.Count),
            [questionFilter, checkFilter, answerFilter, pairFilter], kept.Count);
        AtomicFile.WriteAllText(ReportPath, result.ToJson() + "\n");
        AtomicFile.WriteAllLines(output.Path, kept.Select(Example));
        report?.Invoke(1, result.Line());
        return result;
    }

    // ------------------------------------------------------------------ passages and prompts

    /// <summary>What grounded questions are asked about: chunks of a knowledge leaf's documents, a grounded skill's
    /// seed contexts; none for a freeform skill.</summary>
    private List<string> Passages()
    {
        if (leaf.Kind == LeafKind.Skill)
            return leaf.Grounded ? leaf.Seeds.Select(s => s.Context).OfType<string>().Distinct().ToList() : [];
        using var vocab = LoadedModel.LoadVocabulary(teacher.Path, "teacher");
        int room = PassageRoom(vocab);
        return DocumentChunker.Chunk(leaf.Documents, t => vocab.Vocab.Tokenize(t, addSpecial: false, parseSpecial: false).Length,
            room, settings.ChunkWords);
    }

    /// <summary>Tokens a passage may take: the context less the longest grounded prompt around it and the replies that
    /// follow it in the same sequence (question, answer, rating).</summary>
    public int PassageRoom(LoadedModel vocab)
    {
        int context = settings.Teacher.Runtime.Context > 0 ? settings.Teacher.Runtime.Context : vocab.Model.ContextLengthTrain;
        var renderer = new PromptRenderer(vocab, settings.Teacher.Template);
        int Tokens(string template, int replies)
        {
            var seeds = leaf.Seeds.OrderByDescending(s => s.Question.Length + s.Answer.Length).Take(settings.SeedsPerPrompt);
            string text = GenerationPrompts.Fill(template, new Dictionary<string, string>
            {
                ["task"] = leaf.Description, ["context"] = "", ["examples"] = GenerationPrompts.Examples(seeds), ["question"] = "", ["answer"] = "",
            });
            return vocab.TokenizePrompt(renderer.Render(Messages(text))).Length + replies;
        }
        int question = settings.Teacher.Sampling.MaxTokens, answer = settings.AnswerTokens;
        int longest = new[]
        {
            Tokens(settings.Prompts.GroundedQuestions, question),
            Tokens(settings.Prompts.GroundedAnswer, question + answer),
            Tokens(settings.Prompts.GroundedPairCheck, question + answer + settings.CheckTokens),
        }.Max();
        int room = context - longest - 8; // a few tokens of slack for how a passage joins the text around it
        if (room < 32)
            throw new Settings.SettingException("context", $"leaf {leaf.Path}: the teacher's context of {context} tokens leaves {Math.Max(room, 0)} for a " +
                $"document passage after the prompts and their replies ({longest} tokens); raise the context or lower answer_tokens");
        return room;
    }

    private List<PromptItem> QuestionPrompts(List<string> passages)
    {
        int count = (settings.QuestionsPerLeaf + settings.Teacher.N - 1) / settings.Teacher.N;
        return Enumerable.Range(0, count).Select(i =>
        {
            var slots = new Dictionary<string, string> { ["task"] = leaf.Description, ["examples"] = GenerationPrompts.Examples(ShownSeeds(i)) };
            string template = settings.Prompts.Questions;
            if (passages.Count > 0) { slots["context"] = passages[i % passages.Count]; template = settings.Prompts.GroundedQuestions; }
            return Prompt($"p{i}", GenerationPrompts.Fill(template, slots));
        }).ToList();
    }

    /// <summary>The seed examples prompt <paramref name="index"/> shows: the next k (wrapping), so together the prompts
    /// show every seed equally often.</summary>
    private IEnumerable<SeedExample> ShownSeeds(int index)
    {
        int k = Math.Min(settings.SeedsPerPrompt, leaf.Seeds.Count);
        return Enumerable.Range(0, k).Select(j => leaf.Seeds[(index * k + j) % leaf.Seeds.Count]);
    }

    private string Fill(string template, Candidate c, string? answer) => GenerationPrompts.Fill(template, new Dictionary<string, string>
    {
        ["task"] = leaf.Description, ["context"] = c.Passage ?? "", ["question"] = c.Question, ["answer"] = answer ?? "",
    });

    private PromptItem Prompt(string id, string text) => new(id, Messages(text), leaf.Path);

    private IReadOnlyList<ChatMessage> Messages(string text)
    {
        string? system = settings.Teacher.Template.SystemPrompt(settings.Teacher.System);
        return string.IsNullOrEmpty(system) ? [ChatMessage.User(text)] : [ChatMessage.System(system), ChatMessage.User(text)];
    }

    // ------------------------------------------------------------------ steps

    /// <summary>Runs step <paramref name="index"/> as a sample job on its prompt file; no prompts, no job (and any
    /// output of an earlier run of the step goes, so nothing stale stays beside the leaf's data).</summary>
    private IReadOnlyList<SampledPrompt> Step(int index, string name, List<PromptItem> prompts, Jobs.SampleSettings sampling,
        Action<double, string?>? report, CancellationToken ct)
    {
        string input = File($"{name}.prompts.jsonl"), output = File($"{name}.jsonl");
        if (prompts.Count == 0)
        {
            new OutputFile(output).Clear();
            if (System.IO.File.Exists(input)) System.IO.File.Delete(input);
            return [];
        }
        WriteIfChanged(input, prompts.Select(PromptFile.Format));
        double before = Steps.Take(index).Sum(s => s.Weight), weight = Steps[index].Weight;
        new SampleJob(teacher, input, output, sampling).Run(ReuseRule.ResumeOrRecompute, p => report?.Invoke(
            before + weight * (p.PromptsTotal == 0 ? 1 : (double)p.PromptsDone / p.PromptsTotal),
            $"{Steps[index].Name}: {p.PromptsDone}/{p.PromptsTotal} prompts, {p.TokensPerSecond:F0} tokens/s"), ct);
        report?.Invoke(before + weight, null);
        return SampleFile.Read(output);
    }

    /// <summary>Rewrites a prompt file only when its text changes, so the job that reads it keeps its record.</summary>
    private static void WriteIfChanged(string path, IEnumerable<string> lines)
    {
        string text = string.Concat(lines.Select(l => l + "\n"));
        if (System.IO.File.Exists(path) && System.IO.File.ReadAllText(path) == text) return;
        AtomicFile.WriteAllText(path, text);
    }

    // ------------------------------------------------------------------ between the steps

    private sealed record Candidate(string Id, string Question, string? Passage, string? Answer = null);

    /// <summary>The questions the teacher wrote: the first line of each sample, less a "Question:" label. Dropped: empty
    /// and cut-off ones, copies of a seed example the prompt showed, and repeats of an earlier sample.</summary>
    private (List<Candidate>, FilterCount) Candidates(IReadOnlyList<SampledPrompt> samples, List<string> passages, int prompts)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<Candidate>();
        int total = 0, empty = 0, cut = 0, copied = 0, repeated = 0;
        foreach (var prompt in samples)
        {
            int index = int.Parse(prompt.Id.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
            var shown = ShownSeeds(index).Select(s => Normalize(s.Question)).ToHashSet(StringComparer.Ordinal);
            foreach (var s in prompt.Samples)
            {
                total++;
                string question = QuestionText(s.Text);
                if (question.Length == 0) { empty++; continue; }
                if (s.FinishReason != FinishReason.Stop && !s.Text.Contains('\n')) { cut++; continue; }
                if (shown.Contains(Normalize(question))) { copied++; continue; }
                if (!seen.Add(Normalize(question))) { repeated++; continue; }
                list.Add(new Candidate($"q{list.Count}", question, passages.Count > 0 ? passages[index % passages.Count] : null));
            }
        }
        return (list, new FilterCount("questions", total, list.Count, new Dictionary<string, int>
        {
            ["empty"] = empty, ["cut off"] = cut, ["copied an example"] = copied, ["repeated"] = repeated,
        }));
    }

    private static string QuestionText(string text)
    {
        string line = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        foreach (var label in new[] { "Question:", "Q:" })
            if (line.StartsWith(label, StringComparison.OrdinalIgnoreCase)) line = line[label.Length..].Trim();
        return line.Length >= 2 && line[0] == '"' && line[^1] == '"' ? line[1..^1].Trim() : line;
    }

    private static string Normalize(string text) => string.Join(' ', text.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Keeps the candidates the teacher rated at least <paramref name="min"/>; a reply with no [[rating]] is
    /// dropped and counted.</summary>
    private static (List<Candidate>, FilterCount) Rated(string name, List<Candidate> candidates, IReadOnlyList<SampledPrompt> ratings, double min)
    {
        var byId = ratings.ToDictionary(r => r.Id, r => r.Samples[0].Text);
        var kept = new List<Candidate>();
        int low = 0, unrated = 0;
        foreach (var c in candidates)
        {
            var (rating, _) = JudgeRating.Parse(byId[c.Id]);
            if (rating is null) unrated++;
            else if (rating < min) low++;
            else kept.Add(c);
        }
        return (kept, new FilterCount(name, candidates.Count, kept.Count, new Dictionary<string, int>
        {
            [$"rated below {min:0.#}"] = low, ["unrated"] = unrated,
        }));
    }

    private (List<(Candidate Question, string Answer)>, FilterCount) Answered(List<Candidate> asked, IReadOnlyList<SampledPrompt> answers)
    {
        var byId = answers.ToDictionary(a => a.Id, a => a.Samples[0]);
        var pairs = new List<(Candidate, string)>();
        int empty = 0, cut = 0;
        foreach (var c in asked)
        {
            var s = byId[c.Id];
            string answer = s.Text.Trim();
            if (answer.Length == 0) empty++;
            else if (s.FinishReason != FinishReason.Stop) cut++; // a truncated answer teaches truncation
            else pairs.Add((c, answer));
        }
        return (pairs, new FilterCount("answers", asked.Count, pairs.Count, new Dictionary<string, int> { ["empty"] = empty, ["cut off"] = cut }));
    }

    /// <summary>A training example in the messages layout; a grounded skill's question carries its passage (the skill is
    /// answering from it), a knowledge question does not (the fact is what is learned).</summary>
    private string Example(Candidate c)
    {
        string user = leaf.Grounded && c.Passage is not null ? $"{c.Passage}\n\n{c.Question}" : c.Question;
        return PromptFile.Format(new PromptItem($"{leaf.Path}/{c.Id}", [ChatMessage.User(user), ChatMessage.Assistant(c.Answer!)], leaf.Path));
    }

    /// <summary>The leaf's content (what generation reads of it), so an edit of its qna.yaml or documents redoes it.</summary>
    public static string Digest(TaxonomyLeaf leaf)
    {
        var text = new StringBuilder().Append(leaf.Kind).Append('\0').Append(leaf.Description).Append('\0');
        foreach (var s in leaf.Seeds) text.Append(s.Question).Append('\0').Append(s.Answer).Append('\0').Append(s.Context ?? "\u0001").Append('\0');
        foreach (var d in leaf.Documents) text.Append(d.Name).Append('\0').Append(d.Text).Append('\0');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
