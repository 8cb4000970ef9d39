using System.Diagnostics;
using System.Globalization;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;
using Merlinite.Engine.Tests.Reference;
using Xunit.Abstractions;

namespace Merlinite.Engine.Tests.Scoring;

/// <summary>
/// Acceptance: the llama.cpp-based <see cref="Scorer"/> agrees with <see cref="ReferenceModel"/>, an independent plain C#
/// forward pass, within 1e-3 per token log-prob on the synthesized tiny Mistral (dense) and tiny Mixtral (MoE).
/// The scorer runs as the CLI runs it (<c>ExactAttention</c>: F32 KV cache, no flash attention).
/// </summary>
[Collection("tiny models")]
public class ReferenceParityTests(TinyModels models, ITestOutputHelper output)
{
    // float32 against a double reference: 2^-24 per operation × an accumulation depth of ~1,600 (two layers of 64-wide
    // dot products and attention over ≤ 60 positions, then the 1,080-way log-sum-exp) ≈ 1e-4 in the worst case; 1e-3
    // is 10× that. Measured: at most 2.9e-6 (both models; the Mixtral router's closest top-2 margin is 4e-4, so no
    // expert flips). Shared prompt vs alone: the same kernels on other batch shapes, measured at most 2.0e-6; 1e-4 is 50×.
    private const double ReferenceTolerance = 1e-3;
    private const double SharedPromptTolerance = 1e-4;

    private static readonly (ChatMessage[] Prompt, string Response)[] Conversations =
    [
        ([ChatMessage.System("You are a careful assistant."),
          ChatMessage.User("Reverse the list 4 8 15 16 23 42, then add its first two numbers.")],
         "Reversed, the list is 42 23 16 15 8 4. The first two numbers add up to 65."),
        ([ChatMessage.User("Write one short sentence about the weather in the mountains during the winter months.")],
         "In winter the mountains are cold, quiet and covered with snow for many weeks."),
        ([ChatMessage.System("You are a cautious assistant. You carefully follow instructions."),
          ChatMessage.User("Say hello to the world.")],
         "Hello world! I hope you have a good day."),
    ];

    private LoadedModel Load(string path) =>
        LoadedModel.Load(new ModelLoadOptions { Model = new(path), Runtime = new() { Context = 512, Threads = 1 }, Sequences = 4 });

    private static ScoreItem Item(LoadedModel m, string id, ChatMessage[] prompt, string response)
    {
        var promptTokens = m.TokenizePrompt(MerliniteTemplate.Render(prompt));
        var responseTokens = m.Vocab.Tokenize(response, addSpecial: false, parseSpecial: false).Append(m.Vocab.Eos).ToArray();
        return new ScoreItem(id, promptTokens, responseTokens);
    }

    /// <summary>The reference's log-prob of every response token: row (prompt + j - 1) of the full sequence.</summary>
    private static double[] ReferenceResponseLogProbs(ReferenceModel reference, ScoreItem item, out double[][] rows)
    {
        var all = item.PromptTokens.Concat(item.ResponseTokens).ToArray();
        rows = reference.LogProbsOfNextTokens(all);
        var r = rows;
        return item.ResponseTokens.Select((t, j) => r[item.PromptTokens.Length - 1 + j][t]).ToArray();
    }

    private static string F(double d) => d.ToString("E2", CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("mistral")]
    [InlineData("mixtral")]
    public void Scorer_log_probs_match_the_reference_forward_pass(string which)
    {
        var sw = Stopwatch.StartNew();
        string path = which == "mixtral" ? models.Mixtral : models.Mistral;
        var reference = ReferenceModel.Load(path);
        Assert.Equal(which == "mixtral", reference.Hp.IsMixtureOfExperts);
        using var m = Load(path);
        var items = Conversations.Select((c, i) => Item(m, $"c{i}", c.Prompt, c.Response)).ToArray();
        output.WriteLine($"prompts {string.Join('/', items.Select(i => i.PromptTokens.Length))} tokens, responses {string.Join('/', items.Select(i => i.ResponseTokens.Length))}");
        foreach (var item in items)
        {
            Assert.InRange(item.PromptTokens.Length, 20, 60);
            Assert.InRange(item.ResponseTokens.Length, 10, 40);
        }

        var results = new Scorer(m, new ScorerOptions { TopK = 5 }).Score(items);

        double maxDiff = 0, maxTopDiff = 0, minMargin = double.PositiveInfinity;
        int scored = 0;
        foreach (var (item, result) in items.Zip(results))
        {
            Assert.True(result.Ok, result.Error);
            Assert.Equal(item.ResponseTokens.Length, result.Count);
            var expected = ReferenceResponseLogProbs(reference, item, out var rows);
            for (int j = 0; j < expected.Length; j++)
            {
                Assert.Equal(item.ResponseTokens[j], result.Tokens[j].Token);
                maxDiff = Math.Max(maxDiff, Math.Abs(expected[j] - result.Tokens[j].LogProb));
                // The alternatives llama.cpp reports are checked too: the whole distribution, not just one entry.
                foreach (var alt in result.Tokens[j].Top)
                    maxTopDiff = Math.Max(maxTopDiff, Math.Abs(rows[item.PromptTokens.Length - 1 + j][alt.Token] - alt.LogProb));
                scored++;
            }
            minMargin = Math.Min(minMargin, reference.MinRouterMargin(item.PromptTokens.Concat(item.ResponseTokens).ToArray()));

            // Sanity of the reference itself: every row is a distribution, and the prompt's rows do not depend on
            // the response that follows (causality), bit for bit.
            foreach (var row in rows)
            {
                Assert.All(row, v => Assert.True(v <= 0, "log-prob > 0"));
                double total = row.Sum(Math.Exp);
                Assert.True(Math.Abs(total - 1) < 1e-9, $"probabilities sum to {total}"); // double: 1,080 terms × 2^-53 ≈ 1e-13
            }
            var promptOnly = reference.LogProbsOfNextTokens(item.PromptTokens);
            for (int p = 0; p < promptOnly.Length; p++) Assert.Equal(promptOnly[p], rows[p]);
        }

        output.WriteLine($"{which}: {scored} tokens, max |scorer - reference| = {F(maxDiff)}, over top-5 alternatives {F(maxTopDiff)}, " +
                         $"min router margin {F(minMargin)}, {sw.ElapsedMilliseconds} ms");
        Assert.True(maxDiff < ReferenceTolerance, $"{which}: max |scorer - reference| log-prob = {F(maxDiff)} over {scored} response tokens (tolerance {F(ReferenceTolerance)})");
        Assert.True(maxTopDiff < ReferenceTolerance, $"{which}: max |scorer - reference| over the top-5 alternatives = {F(maxTopDiff)} (tolerance {F(ReferenceTolerance)})");
    }

    [Theory]
    [InlineData("mistral")]
    [InlineData("mixtral")]
    public void Responses_sharing_a_prompt_score_as_if_alone_and_match_the_reference(string which)
    {
        var sw = Stopwatch.StartNew();
        string path = which == "mixtral" ? models.Mixtral : models.Mistral;
        var reference = ReferenceModel.Load(path);
        using var m = Load(path);
        ChatMessage[] prompt =
        [
            ChatMessage.System("You are a careful assistant."),
            ChatMessage.User("Add 17 and 25. Is the sum even or odd?"),
        ];
        string[] responses =
        [
            "The sum is 42, which is even.",
            "17 plus 25 is 42. Since 42 divides by two, the sum is even.",
            "I think the sum is 43, so it is odd.",
            "Hello world! The answer is 42, an even number: it divides by two.",
        ];
        var items = responses.Select((r, i) => Item(m, $"r{i}", prompt, r)).ToArray();
        Assert.All(items, i => Assert.Equal(items[0].PromptTokens, i.PromptTokens));
        Assert.InRange(items[0].PromptTokens.Length, 20, 60);
        Assert.All(items, i => Assert.InRange(i.ResponseTokens.Length, 5, 40));

        var scorer = new Scorer(m, new ScorerOptions());
        var together = scorer.Score(items); // one wave: the prompt decoded once, then copied to the other sequences
        var alone = items.Select(i => scorer.Score([i])[0]).ToArray();

        double maxShared = 0, maxRefTogether = 0, maxRefAlone = 0;
        for (int i = 0; i < items.Length; i++)
        {
            Assert.True(together[i].Ok, together[i].Error);
            Assert.True(alone[i].Ok, alone[i].Error);
            Assert.Equal(items[i].ResponseTokens.Length, together[i].Count);
            Assert.Equal(items[i].ResponseTokens.Length, alone[i].Count);
            var expected = ReferenceResponseLogProbs(reference, items[i], out _);
            for (int j = 0; j < expected.Length; j++)
            {
                maxShared = Math.Max(maxShared, Math.Abs(together[i].Tokens[j].LogProb - alone[i].Tokens[j].LogProb));
                maxRefTogether = Math.Max(maxRefTogether, Math.Abs(together[i].Tokens[j].LogProb - expected[j]));
                maxRefAlone = Math.Max(maxRefAlone, Math.Abs(alone[i].Tokens[j].LogProb - expected[j]));
            }
        }

        output.WriteLine($"{which}: max |shared - alone| = {F(maxShared)}, max |shared - reference| = {F(maxRefTogether)}, " +
                         $"max |alone - reference| = {F(maxRefAlone)}, prompt {items[0].PromptTokens.Length} tokens, {sw.ElapsedMilliseconds} ms");
        Assert.True(maxShared < SharedPromptTolerance, $"{which}: max |shared prompt - alone| log-prob = {F(maxShared)} (tolerance {F(SharedPromptTolerance)})");
        Assert.True(maxRefTogether < ReferenceTolerance, $"{which}: max |shared prompt - reference| log-prob = {F(maxRefTogether)} (tolerance {F(ReferenceTolerance)})");
        Assert.True(maxRefAlone < ReferenceTolerance, $"{which}: max |alone - reference| log-prob = {F(maxRefAlone)} (tolerance {F(ReferenceTolerance)})");
    }
}
