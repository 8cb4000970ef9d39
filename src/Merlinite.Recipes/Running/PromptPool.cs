using System.Text.Json;
using Merlinite.Engine.Data;

namespace Merlinite.Recipes.Running;

/// <summary>
/// The recipe's prompts: a held-out split taken once (seeded), and per round a draw from the rest that is uniform by
/// source (pick a source uniformly, then a prompt of it), seeded by (seed, round), without repeats within a round.
/// </summary>
public sealed class PromptPool
{
    private PromptPool(IReadOnlyList<PromptItem> heldOut, IReadOnlyList<PromptItem> train, IReadOnlyDictionary<string, string> answers)
    {
        HeldOut = heldOut;
        Train = train;
        Answers = answers;
    }

    public IReadOnlyList<PromptItem> HeldOut { get; }
    public IReadOnlyList<PromptItem> Train { get; }
    /// <summary>Reference answers ("answer" in the prompt lines) for the held-out checker, by prompt id.</summary>
    public IReadOnlyDictionary<string, string> Answers { get; }

    public static PromptPool Load(IReadOnlyList<string> files, string? system, int heldOut, int seed)
    {
        var all = new List<PromptItem>();
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            all.AddRange(PromptFile.Read(file, system));
            foreach (var (id, answer) in JsonLines.Read(file, (root, where, line) =>
                         (JsonLines.Id(root, where, line), root.TryGetProperty("answer", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null)))
                if (answer is not null) answers[id] = answer;
        }
        var duplicate = all.GroupBy(p => p.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InputFormatException($"prompt id '{duplicate.Key}' appears in more than one line of the prompt files");

        var shuffled = all.ToArray();
        new Random(seed).Shuffle(shuffled);
        return new PromptPool(shuffled[..heldOut], shuffled[heldOut..], answers);
    }

    public IReadOnlyList<PromptItem> Draw(int count, int seed, int round)
    {
        var rng = new Random(unchecked(seed * 1_000_003 + round)); // not HashCode.Combine: that is randomized per process
        var bySource = Train.GroupBy(p => p.Source ?? "").OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.ToList()).ToList();
        var drawn = new List<PromptItem>(count);
        while (drawn.Count < count && bySource.Count > 0)
        {
            int s = rng.Next(bySource.Count);
            var source = bySource[s];
            int i = rng.Next(source.Count);
            drawn.Add(source[i]);
            source.RemoveAt(i);
            if (source.Count == 0) bySource.RemoveAt(s);
        }
        return drawn;
    }
}
