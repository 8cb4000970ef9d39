using Merlinite.Engine.Chat;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;

namespace Merlinite.Engine.Tests.Scoring;

[Collection("tiny models")]
public class ScorerTests(TinyModels models)
{
    private LoadedModel Load(int ctx = 1024, int seqs = 8) =>
        LoadedModel.Load(new ModelLoadOptions { Model = new(models.Mistral), Runtime = new() { Context = ctx, Threads = 1, FastAttention = true }, Sequences = seqs });

    [Fact]
    public void A_token_merged_across_the_prompt_response_boundary_is_scored_once_as_part_of_the_response()
    {
        using var m = Load();
        var template = new ScoreTemplate(m, ChatTemplate.Raw, appendEos: false);
        // "hello" is one piece of the synthesized vocabulary: naive concatenation of tokenize("hel") and
        // tokenize("lo world") would score tokens that never occur in tokenize("hello world").
        var item = template.Build("x", [ChatMessage.User("hel")], "lo world");
        var full = m.TokenizePrompt("hello world");
        Assert.Equal(full, item.PromptTokens.Concat(item.ResponseTokens));
        Assert.Equal("hello", m.Vocab.GetText(item.ResponseTokens[0]).TrimStart('▁'));
        Assert.EndsWith("lo world", m.Vocab.Detokenize(item.ResponseTokens));
        var naive = m.Vocab.Tokenize("lo world", addSpecial: false, parseSpecial: false);
        Assert.NotEqual(naive, item.ResponseTokens);
    }

    [Fact]
    public void Merlinite_template_boundary_is_clean_and_eos_is_appended()
    {
        using var m = Load();
        var template = new ScoreTemplate(m, ChatTemplate.Merlinite, appendEos: true);
        var item = template.Build("x", [ChatMessage.User("sort 3 1 2")], "1 2 3");
        Assert.Equal(m.TokenizePrompt(MerliniteTemplate.Render([ChatMessage.User("sort 3 1 2")])), item.PromptTokens);
        Assert.Equal(m.Vocab.Eos, item.ResponseTokens[^1]);
        Assert.Equal("<|endoftext|>", m.Vocab.GetText(item.ResponseTokens[^1]));
        Assert.Equal("1 2 3", m.Vocab.Detokenize(item.ResponseTokens[..^1]));
    }

    [Fact]
    public void An_item_longer_than_the_context_gets_its_own_error_and_the_rest_is_scored()
    {
        using var m = Load(ctx: 256, seqs: 2);
        var prompt = m.TokenizePrompt(string.Join(' ', Enumerable.Repeat("add the numbers", 120)));
        var shortPrompt = m.TokenizePrompt("hi");
        var response = m.Vocab.Tokenize(" fine", false, false);
        var results = new Scorer(m, new ScorerOptions()).Score([new ScoreItem("long", prompt, response), new ScoreItem("short", shortPrompt, response)]);
        Assert.False(results[0].Ok);
        Assert.Contains("truncating the prompt on the left", results[0].Error);
        Assert.True(results[1].Ok);
        Assert.Equal(response.Length, results[1].Count);

        var truncated = new Scorer(m, new ScorerOptions { Truncate = TruncateMode.Left }).Score([new ScoreItem("long", prompt, response)]);
        Assert.True(truncated[0].Ok);
        Assert.True(truncated[0].TruncatedPromptTokens > 0);
    }

    [Fact]
    public void Top_k_alternatives_are_sorted_and_consistent_with_the_scored_token()
    {
        using var m = Load();
        var item = new ScoreTemplate(m, ChatTemplate.Merlinite, true).Build("x", [ChatMessage.User("hello")], "world of numbers");
        var r = new Scorer(m, new ScorerOptions { TopK = 5 }).Score([item])[0];
        foreach (var t in r.Tokens)
        {
            Assert.Equal(5, t.Top.Count);
            for (int i = 1; i < t.Top.Count; i++) Assert.True(t.Top[i - 1].LogProb >= t.Top[i].LogProb);
            // The same row of logits gives both figures; 1e-9 and 1e-6 only absorb double rounding of exp and of the sum.
            Assert.True(t.Top[0].LogProb >= t.LogProb - 1e-9);
            Assert.True(t.Top.Sum(a => Math.Exp(a.LogProb)) <= 1 + 1e-6);
            if (t.Top.Any(a => a.Token == t.Token)) Assert.Equal(t.LogProb, t.Top.First(a => a.Token == t.Token).LogProb, 9);
        }
        // Sum and mean of the same float values in double, in another order at most: 2^-53 × ~20 terms.
        Assert.Equal(r.Tokens.Sum(t => t.LogProb), r.Sum, 9);
        Assert.Equal(r.Sum / r.Count, r.Mean, 9);
    }

    [Fact]
    public void Results_come_back_in_input_order_whatever_the_prompt_grouping()
    {
        using var m = Load(seqs: 3);
        var t = new ScoreTemplate(m, ChatTemplate.Merlinite, true);
        var items = new[] { ("a", "p1", "x"), ("b", "p2", "y"), ("c", "p1", "z"), ("d", "p1", "w"), ("e", "p2", "v"), ("f", "p1", "u") }
            .Select(x => t.Build(x.Item1, [ChatMessage.User(x.Item2)], x.Item3)).ToList();
        var seen = new List<string>();
        var results = new Scorer(m, new ScorerOptions()).Score(items, r => seen.Add(r.Id));
        Assert.Equal(["a", "b", "c", "d", "e", "f"], results.Select(r => r.Id));
        Assert.Equal(["a", "b", "c", "d", "e", "f"], seen);
        Assert.All(results, r => Assert.True(r.Ok));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Prompts_sharing_a_long_beginning_score_as_if_decoded_whole(bool kvPerSequence)
    {
        using var m = LoadedModel.Load(new ModelLoadOptions
        {
            Model = new(models.Mistral), Runtime = new() { Context = 2048, Threads = 1 }, Sequences = 8, KvPerSequence = kvPerSequence,
        });
        var rng = new Random(5);
        int Token() => 10 + rng.Next(m.Vocab.Count - 20);
        var prefix = Enumerable.Range(0, 60).Select(_ => Token()).ToArray();
        var items = new List<ScoreItem>();
        for (int q = 0; q < 4; q++)
        {
            // Questions 0-2 share the 60-token beginning (k-shot examples), question 3 does not.
            var prompt = (q < 3 ? [m.Vocab.Bos, .. prefix] : new[] { m.Vocab.Bos }.Concat(Enumerable.Range(0, 60).Select(_ => Token()))).Concat(Enumerable.Range(0, 7).Select(_ => Token())).ToArray();
            for (int k = 0; k < 2; k++) items.Add(new ScoreItem($"{q}#{k}", prompt, Enumerable.Range(0, 3).Select(_ => Token()).ToArray()));
        }
        var whole = new Scorer(m, new ScorerOptions()).Score(items);
        var shared = new Scorer(m, new ScorerOptions { SharePrefixes = true }).Score(items);
        for (int i = 0; i < items.Count; i++)
        {
            Assert.True(shared[i].Ok, shared[i].Error);
            // Other batch shapes, other summation order: measured at most 2e-6 (ReferenceParityTests); 4 places is 25×.
            for (int t = 0; t < 3; t++) Assert.Equal(whole[i].Tokens[t].LogProb, shared[i].Tokens[t].LogProb, 4);
        }
    }
}
