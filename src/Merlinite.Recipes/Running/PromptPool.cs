using Merlinite.Engine.Data;
using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes.Running;

/// <summary>
/// The recipe's prompts: a held-out split taken once (seeded), and per round a draw from the rest that is uniform by
/// source (pick a source uniformly, then a prompt of it), seeded by (seed, round), without repeats within a round.
/// </summary>
public sealed class PromptPool
{
    private PromptPool(IReadOnlyList<PromptItem> heldOut, IReadOnlyList<PromptItem> train)
    {
        HeldOut = heldOut;
        Train = train;
    }

    public IReadOnlyList<PromptItem> HeldOut { get; }
    public IReadOnlyList<PromptItem> Train { get; }

    /// <param name="system">The system prompt plain "prompt" lines get (the policy template's default when null).</param>
    public static PromptPool Load(PromptSettings settings, string? system)
    {
        var all = new List<PromptItem>();
        var firstFile = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in settings.Files)
            foreach (var item in PromptFile.Read(file, system))
            {
                if (!firstFile.TryAdd(item.Id, file))
                    throw new InputFormatException($"prompt id '{item.Id}' is in both {firstFile[item.Id]} and {file}; ids must be unique across the prompt files");
                all.Add(item);
            }
        var shuffled = all.ToArray();
        new Random(settings.Seed).Shuffle(shuffled);
        int heldOut = Math.Min(settings.HeldOut, shuffled.Length);
        return new PromptPool(shuffled[..heldOut], shuffled[heldOut..]);
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
