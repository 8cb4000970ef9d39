using System.Text.Json.Nodes;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Evaluation;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Sampling;

namespace Merlinite.Recipes.World;

/// <summary>
/// The tiny judge against the exact-match checker on held-out answers (a seeded stream of their own, never trained on):
/// the judge rates each greedily, as `merlinite eval` asks it, and agrees when its rating is on the checker's side of
/// the scale's middle. The world writes the figure to judge-agreement.json; tests hold it to the 85 %.
/// </summary>
public static class JudgeAgreement
{
    public const string File = "judge-agreement.json";
    public const int Items = 400;

    public sealed record Result(int Items, int Agreed, int Unrated, double RightRatedRight, double WrongRatedWrong)
    {
        public double Share => Items == 0 ? 0 : (double)Agreed / Items;
    }

    public static Result Measure(string judge, ulong seed, int threads, CancellationToken ct)
    {
        var held = TinyBenchmarks.JudgeItems(Items, new Random((int)seed + 4000));
        using var model = LoadedModel.Load(new ModelLoadOptions
        {
            Model = new ModelSpec(judge), Runtime = new() { Context = 4096, Threads = threads },
            Sequences = BestOfNSampler.SequencesFor(16),
        });
        var renderer = new PromptRenderer(model, ChatTemplate.Merlinite);
        var requests = held.Select((h, i) =>
            new SampleRequest($"j{i}", model.TokenizePrompt(renderer.Render([ChatMessage.User(h.Prompt)])))).ToList();
        var options = new BestOfNOptions { Sampling = new SamplingOptions { Temperature = 0, MaxTokens = 12, Seed = 1 } };
        int agreed = 0, unrated = 0, rightRight = 0, wrongWrong = 0, k = 0;
        new BestOfNSampler(model, options with { N = 1 }).Run(requests, r =>
        {
            var (rating, _) = JudgeRating.ParseAsFastChat(r.Samples[0].Text);
            bool right = held[k++].Right;
            if (rating is not double v) { unrated++; return; }
            bool ratedRight = v > 5.5; // the middle of the 1-10 scale
            if (ratedRight != right) return;
            agreed++;
            if (right) rightRight++; else wrongWrong++;
        }, null, ct);
        int rights = held.Count(h => h.Right), wrongs = held.Count - rights;
        return new Result(held.Count, agreed, unrated, Share(rightRight, rights), Share(wrongWrong, wrongs));
    }

    public static void Write(string path, Result r, Fingerprint made)
    {
        var output = new OutputFile(path);
        output.Prepare(made, ReuseRule.Recompute);
        AtomicFile.WriteAllText(path, new JsonObject
        {
            ["items"] = r.Items, ["agreement"] = Math.Round(r.Share, 4), ["unrated"] = r.Unrated,
            ["right_rated_right"] = Math.Round(r.RightRatedRight, 4), ["wrong_rated_wrong"] = Math.Round(r.WrongRatedWrong, 4),
        }.ToJsonString(JsonStyle.Indented) + "\n");
    }

    private static double Share(int n, int of) => of == 0 ? 0 : (double)n / of;
}
