using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.DataGeneration;
using Merlinite.Recipes.Schema;
using Merlinite.Recipes.Taxonomy;

namespace Merlinite.Cli.Commands;

/// <summary>merlinite generate-data: LAB's synthetic data from a taxonomy and a teacher GGUF.</summary>
public static class GenerateDataCommand
{
    private static readonly GenerateSettings D = new();

    public static Command Create()
    {
        var taxonomy = Flags.Required<DirectoryInfo>("taxonomy", "the taxonomy: a folder tree of InstructLab qna.yaml files (check it with `merlinite taxonomy check`)", "DIR");
        var documents = Flags.Optional<DirectoryInfo?>("documents", "where local clones of knowledge leaves' remote document repositories are (DIR/<repo name>)", "DIR");
        var teacher = Flags.Required<FileInfo>("teacher", "the teacher GGUF model: it writes, rates and answers the questions", "M.gguf");
        var output = Flags.Required<DirectoryInfo>("out", "output folder: knowledge.jsonl, skills.jsonl, report.json, and leaves/ with each leaf's steps", "DIR");
        var questions = Flags.Create("questions", "candidate questions drawn per leaf (before de-duplication and the filters)", D.QuestionsPerLeaf, "N");
        var n = Flags.Create("n", "questions sampled per teacher prompt (one prompt decode, N samples in parallel)", D.Teacher.N, "N");
        var parallel = Flags.Create("parallel", "sequences the teacher decodes together", D.Teacher.Parallel, "N");
        var seeds = Flags.Create("seeds_per_prompt", "seed examples shown in each question-writing prompt", D.SeedsPerPrompt, "K");
        var answerTokens = Flags.Create("answer_tokens", "most tokens of an answer", D.AnswerTokens, "N");
        var checkTokens = Flags.Create("check_tokens", "most tokens of a check's reply", D.CheckTokens, "N");
        var minQuestion = Flags.Create("min_question_rating", "keep a question the teacher rates at least this (1-10)", D.MinQuestionRating, "R");
        var minPair = Flags.Create("min_pair_rating", "keep a question and answer the teacher rates at least this (1-10; 1: every rated pair)", D.MinPairRating, "R");
        var chunkWords = Flags.Create("chunk_words", "most words of a document passage (passages are also cut to fit the context)", D.ChunkWords, "N");
        var prompt = Flags.Optional<string[]>("prompt", $"replace a teacher prompt with a text file, NAME=FILE (repeatable; names: {string.Join(", ", GenerationPrompts.Names.Select(p => p.Name))})", "NAME=FILE");
        var system = Flags.Optional<string?>("system", "the teacher's system prompt (default: the Merlinite model card's with --template merlinite; \"\" for none)");
        var template = ScoringFlags.Template(D.Teacher.Template, "the teacher's chat template: merlinite, model (the GGUF's own) or raw");
        var restart = Restart.Create("recompute every leaf from scratch. Without it a finished leaf made with the same qna.yaml, " +
            "documents, teacher and settings is kept, an unfinished one is resumed, and a changed one is redone");
        var runtime = new RuntimeFlags();
        var sampling = new SamplingFlags(D.Teacher.Sampling);

        var cmd = new Command("generate-data",
            "LAB synthetic data: for each taxonomy leaf the teacher writes new questions from the seed examples (knowledge: about " +
            "passages of the leaf's documents, cut to fit the context), rates them, answers the ones it kept and rates each pair " +
            "(faithfulness to the passage for knowledge). Each prompt decodes once for its N samples, many sequences per batch. " +
            "A rerun keeps finished leaves, resumes a killed one, and redoes a leaf whose qna.yaml, documents or settings changed. " +
            "A leaf whose filters keep nothing is reported with its counts.")
        {
            taxonomy, documents, teacher, output, questions, n, parallel, seeds, answerTokens, checkTokens, minQuestion, minPair, chunkWords, prompt, system, template, restart,
        };
        runtime.AddTo(cmd);
        sampling.AddTo(cmd);
        cmd.SetAction((parse, ct) =>
        {
            var prompts = new GenerationPrompts();
            foreach (var spec in parse.GetValue(prompt) ?? [])
            {
                int eq = spec.IndexOf('=');
                if (eq <= 0) throw new UsageException($"--prompt {spec}: expected NAME=FILE");
                prompts = prompts.WithFile(spec[..eq], spec[(eq + 1)..]);
            }
            var settings = new GenerateSettings
            {
                QuestionsPerLeaf = parse.GetValue(questions), SeedsPerPrompt = parse.GetValue(seeds), AnswerTokens = parse.GetValue(answerTokens),
                CheckTokens = parse.GetValue(checkTokens), MinQuestionRating = parse.GetValue(minQuestion), MinPairRating = parse.GetValue(minPair), ChunkWords = parse.GetValue(chunkWords), Prompts = prompts,
                Teacher = D.Teacher with
                {
                    N = parse.GetValue(n), Parallel = parse.GetValue(parallel), Sampling = sampling.Read(parse), System = parse.GetValue(system),
                    Template = ChatTemplates.Parse(parse.GetValue(template)!), Runtime = runtime.Read(parse),
                },
            };
            string root = parse.GetValue(taxonomy)!.FullName;
            if (!Directory.Exists(root)) throw new UsageException($"--taxonomy: folder not found: {root}");
            IReadOnlyList<TaxonomyLeaf> leaves;
            try { leaves = TaxonomyReader.Load(root, parse.GetValue(documents)?.FullName); }
            catch (DirectoryNotFoundException e) { throw new UsageException($"--documents: {e.Message}"); }
            catch (RecipeException e)
            {
                foreach (var p in e.Problems) Console.Error.WriteLine(p);
                Console.Error.WriteLine($"{Engine.Plural.Of(e.Problems.Count, "problem")} in the taxonomy {root}; nothing was generated");
                return Task.FromResult(ExitCodes.UsageError);
            }
            var job = new GenerateDataJob(runtime.Model(parse, parse.GetValue(teacher)!), leaves, parse.GetValue(output)!.FullName, settings);
            var report = job.Run(Restart.Rule(parse, restart), ProgressDisplay.Phase, ct);
            return Task.FromResult(Summarize(job, report));
        });
        return cmd;
    }

    private static int Summarize(GenerateDataJob job, GenerationReport report)
    {
        foreach (var leaf in report.Leaves) Console.Error.WriteLine(leaf.Line());
        Console.Error.WriteLine("accepted per filter: " + string.Join(" · ", report.Totals.Select(f => $"{f.Name} {f.Kept}/{f.In}")));
        if (report.Examples == 0)
        {
            Console.Error.WriteLine($"no examples: every leaf's filters rejected every candidate (counts above); lower --min-question-rating or --min-pair-rating, raise --questions or check the teacher and its prompts");
            return ExitCodes.RuntimeError;
        }
        if (report.Empty.Count > 0)
            Console.Error.WriteLine($"warning: {Engine.Plural.Of(report.Empty.Count, "leaf", "leaves")} without examples: {string.Join(", ", report.Empty.Select(l => l.Path))}");
        Console.WriteLine($"wrote {job.KnowledgePath} and {job.SkillsPath}: {Engine.Plural.Of(report.Examples, "example")} from {Engine.Plural.Of(report.Leaves.Count, "leaf", "leaves")}");
        return ExitCodes.Ok;
    }
}
