using Merlinite.Engine.Chat;
using Merlinite.Engine.Core;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;

namespace Merlinite.Engine.Tests.Core;

/// <summary>The one decode loop with every kind of request at once: what each request gets must not depend on what
/// else runs beside it, nor on what its sequence held before (the prompt cache).</summary>
[Collection("tiny models")]
public class DecodeLoopTests(TinyModels models)
{
    private static readonly SamplingOptions Hot =
        new() { Temperature = 1, TopK = 0, TopP = 1, MinP = 0, MaxTokens = 20, Seed = 5 };

    /// <summary>Everything a request reported: as text, and its log-probs apart (they are compared within F32 rounding:
    /// a row's logits move by ~1e-7 with the other rows of its batch, measured here).</summary>
    private sealed class Record : GenerateSink
    {
        public List<string> Lines { get; } = [];
        public List<double> LogProbs { get; } = [];
        public bool Ended { get; private set; }

        public override void On(GenerateEvent e)
        {
            switch (e)
            {
                case ChoiceDelta d:
                    Lines.Add($"delta {d.Index} {d.Token} '{d.Text}' [{string.Join(",", d.Top.Select(t => t.Token))}]");
                    if (d.LogProb is double l) LogProbs.Add(l);
                    break;
                case ChoiceFinished f:
                    Lines.Add($"finished {f.Index} {f.Reason} {f.Tokens} {f.Seed} '{f.Text}'");
                    break;
                case PromptScored p:
                    var best = p.Top.Select(t => t.FirstOrDefault().Token);
                    Lines.Add($"prompt {p.Tokens.Count} [{string.Join(",", best)}]");
                    LogProbs.AddRange(p.LogProbs.OfType<double>());
                    break;
                default:
                    Lines.Add(e.ToString()!);
                    break;
            }
        }

        public override void Done() => Ended = true;

        public void AssertSameAs(Record other)
        {
            Assert.Equal(other.Lines, Lines);
            Assert.Equal(other.LogProbs.Count, LogProbs.Count);
            // Measured spread 1.2e-7; 1e-5 leaves 80x margin and still catches a wrong position (differences ~1).
            for (int i = 0; i < LogProbs.Count; i++) Assert.Equal(other.LogProbs[i], LogProbs[i], 1e-5);
        }
    }

    private LoadedModel Load(int sequences) => LoadedModel.Load(new ModelLoadOptions
    {
        Model = new(models.Mistral), Runtime = new() { Context = 4096, Threads = 1 },
        Sequences = sequences, KvPerSequence = true,
    });

    private static int[] Prompt(LoadedModel m, string text) =>
        m.TokenizePrompt(MerliniteTemplate.Render([ChatMessage.System(new string('s', 120)), ChatMessage.User(text)]));

    private static List<GenerateRequest> Requests(LoadedModel m) =>
    [
        new() { Id = "staged", PromptTokens = Prompt(m, "one"), Choices = 3, Sampling = Hot,
            SeedOf = k => 10u + (uint)k, Sink = new Record() },
        new() { Id = "together", PromptTokens = Prompt(m, "two"), Choices = 2, Sampling = Hot,
            SeedOf = k => 20u + (uint)k, StartTogether = true, Deltas = true, TopLogprobs = 2, Stops = ["e"], Sink = new Record() },
        new() { Id = "echo", PromptTokens = Prompt(m, "three"), Sampling = Hot with { MaxTokens = 0 }, SeedOf = _ => 0,
            ScorePrompt = true, TopLogprobs = 1, Sink = new Record() },
        new() { Id = "greedy", PromptTokens = Prompt(m, "one more"), Sampling = Hot with { Temperature = 0 },
            SeedOf = _ => 0, Deltas = true, Sink = new Record() },
    ];

    private static void RunAll(DecodeLoop loop, IEnumerable<GenerateRequest> requests)
    {
        var queue = new Queue<GenerateRequest>(requests);
        loop.Run(_ => queue.TryDequeue(out var r) ? r : null, default);
    }

    private static List<string> Lines(GenerateRequest r) => ((Record)r.Sink).Lines;

    [Fact]
    public void Every_kind_of_request_in_one_run_gets_what_it_gets_alone()
    {
        using var m = Load(sequences: 4);
        var together = Requests(m);
        RunAll(new DecodeLoop(m, new DecodeLoopOptions { MaxLive = 3 }), together);
        foreach (var r in together)
        {
            Assert.True(((Record)r.Sink).Ended, r.Id);
            Assert.DoesNotContain(Lines(r), l => l.StartsWith("failed", StringComparison.Ordinal));
        }
        Assert.Equal(3, Lines(together[0]).Count(l => l.StartsWith("finished", StringComparison.Ordinal)));
        Assert.Single(Lines(together[2]), l => l.StartsWith("prompt", StringComparison.Ordinal));
        Assert.Equal(together[2].PromptTokens.Length - 1, ((Record)together[2].Sink).LogProbs.Count);

        for (int i = 0; i < together.Count; i++)
        {
            var alone = Requests(m)[i];
            RunAll(new DecodeLoop(m, new DecodeLoopOptions { MaxLive = 3 }), [alone]);
            ((Record)together[i].Sink).AssertSameAs((Record)alone.Sink);
        }
    }

    [Fact]
    public void A_prompt_that_starts_like_the_last_one_is_decoded_only_from_where_they_differ()
    {
        using var m = Load(sequences: 1);
        var (a, b) = (Requests(m)[3], Requests(m)[3]);
        var loop = new DecodeLoop(m);
        RunAll(loop, [Requests(m)[0]]);
        long cachedBefore = loop.Counts.CachedPromptTokens;
        RunAll(loop, [a]);
        int shared = a.PromptTokens.AsSpan().CommonPrefixLength(Requests(m)[0].PromptTokens);
        Assert.True(shared > 100, $"the prompts share {shared} tokens"); // the 120-character system prompt
        Assert.Equal(shared, loop.Counts.CachedPromptTokens - cachedBefore);

        RunAll(new DecodeLoop(m), [b]);
        ((Record)a.Sink).AssertSameAs((Record)b.Sink); // the cached keys and values are those a fresh decode computes
    }

    [Fact]
    public void The_loop_scores_a_prompt_as_the_scorer_scores_it()
    {
        using var m = Load(sequences: 4);
        var echo = Requests(m)[2];
        var queue = new Queue<GenerateRequest>([echo]);
        new DecodeLoop(m).Run(_ => queue.TryDequeue(out var r) ? r : null, default);
        var fromLoop = ((Record)echo.Sink).LogProbs;

        var tokens = echo.PromptTokens;
        var item = new ScoreItem("p", tokens[..1], tokens[1..]);
        var fromScorer = new Scorer(m, new ScorerOptions()).Score([item])[0].Tokens.Select(t => t.LogProb).ToArray();
        Assert.Equal(fromScorer.Length, fromLoop.Count);
        // Same per-position log-softmax, different batch shapes: F32 rounding only (ScoreFileRunner measured ~1e-6).
        for (int i = 0; i < fromLoop.Count; i++) Assert.Equal(fromScorer[i], fromLoop[i], 1e-5);
    }
}
