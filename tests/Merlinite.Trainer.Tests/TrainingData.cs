using System.Text.Json;

namespace Merlinite.Trainer.Tests;

/// <summary>Small synthetic SFT datasets: a prompt (mask 0) followed by a response (mask 1), as the CLI writes them.</summary>
public static class TrainingData
{
    public sealed record Example(int[] Tokens, bool[] Mask);

    /// <summary><paramref name="count"/> examples of random prompt and response tokens in [3, vocab), BOS (1) first.</summary>
    public static Example[] Random(int count, int vocab, int promptLength, int responseLength, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var tokens = new[] { 1 }.Concat(Enumerable.Range(0, promptLength + responseLength).Select(_ => rng.Next(3, vocab))).ToArray();
            var mask = tokens.Select((_, i) => i > promptLength).ToArray();
            return new Example(tokens, mask);
        }).ToArray();
    }

    public static string Write(string path, IEnumerable<Example> examples)
    {
        File.WriteAllLines(path, examples.Select(e => JsonSerializer.Serialize(new { tokens = e.Tokens, mask = e.Mask.Select(m => m ? 1 : 0) })));
        return path;
    }
}
