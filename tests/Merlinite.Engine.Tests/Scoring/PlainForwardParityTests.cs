using Merlinite.Engine.Chat;
using Merlinite.Engine.Models;
using Merlinite.Engine.Scoring;

namespace Merlinite.Engine.Tests.Scoring;

/// <summary>The scorer (llama.cpp) against an independent plain C# forward pass: within 1e-3 per token.</summary>
[Collection("tiny models")]
public class PlainForwardParityTests(TinyModels models)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Scorer_log_probs_match_the_plain_forward_pass(bool mixtral)
    {
        string path = mixtral ? models.Mixtral : models.Mistral;
        var reference = new PlainForwardPass(path);
        using var m = LoadedModel.Load(new ModelLoadOptions { Path = path, ContextSize = 1024, Sequences = 4, Threads = 1, ExactAttention = true });
        var template = new ScoreTemplate(m, ScoreTemplateKind.Merlinite, appendEos: true);
        var items = new[]
        {
            template.Build("a", [ChatMessage.System("You are a careful assistant."), ChatMessage.User("Reverse the list: 4 8 15 16 23 42")], "42 23 16 15 8 4"),
            template.Build("b", [ChatMessage.System("You are a careful assistant."), ChatMessage.User("Reverse the list: 4 8 15 16 23 42")], "I think the answer is 4 8 15 16 23 42, but let me sort it again."),
            template.Build("c", [ChatMessage.User("Add two numbers: 17 and 25. Then say hello to the world.")], "The sum is 42. Hello world!"),
        };
        var results = new Scorer(m, new ScorerOptions()).Score(items);

        double worst = 0;
        foreach (var (item, result) in items.Zip(results))
        {
            var all = item.PromptTokens.Concat(item.ResponseTokens).ToArray();
            var rows = reference.LogProbs(all);
            for (int j = 0; j < item.ResponseTokens.Length; j++)
            {
                double expected = rows[item.PromptTokens.Length - 1 + j][item.ResponseTokens[j]];
                worst = Math.Max(worst, Math.Abs(expected - result.Tokens[j].LogProb));
            }
        }
        Assert.True(worst < 1e-3, $"max |scorer - reference| = {worst:E2}");
    }
}
