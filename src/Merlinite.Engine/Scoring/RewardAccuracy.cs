using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Merlinite.Engine.Scoring;

/// <summary>RewardBench-style accuracy: a pair counts as right when reward(chosen) &gt; reward(rejected).</summary>
public sealed record RewardAccuracy(IReadOnlyList<RewardAccuracy.Row> Subsets, RewardAccuracy.Row Overall)
{
    public sealed record Row(string Name, int Pairs, int Correct, int Errors)
    {
        public double Accuracy => Pairs - Errors == 0 ? 0 : (double)Correct / (Pairs - Errors);
    }

    /// <summary>The accuracy of rewards computed for a preference file (ids <c>ID/chosen</c> and <c>ID/rejected</c>).</summary>
    public static RewardAccuracy Compute(IReadOnlyList<Data.PreferencePair> pairs, IReadOnlyList<RewardResult> rewards)
    {
        var byId = rewards.ToDictionary(r => r.Id, StringComparer.Ordinal);
        return Compute(pairs.Select(p => (p.Subset, byId[p.Id + Data.PairFile.ChosenSuffix], byId[p.Id + Data.PairFile.RejectedSuffix])));
    }

    public static RewardAccuracy Compute(IEnumerable<(string Subset, RewardResult Chosen, RewardResult Rejected)> pairs)
    {
        var list = pairs.ToList();
        Row Tally(string name, IEnumerable<(string Subset, RewardResult Chosen, RewardResult Rejected)> rows)
        {
            var r = rows.ToList();
            int errors = r.Count(p => !p.Chosen.Ok || !p.Rejected.Ok);
            int correct = r.Count(p => p.Chosen.Ok && p.Rejected.Ok && p.Chosen.Reward > p.Rejected.Reward);
            return new Row(name, r.Count, correct, errors);
        }
        var subsets = list.GroupBy(p => p.Subset).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Tally(g.Key, g)).ToList();
        return new RewardAccuracy(subsets, Tally("overall", list));
    }

    /// <summary>RewardBench's section scores and overall score, when the subsets are RewardBench's
    /// (<see cref="RewardBenchSections"/>); empty otherwise.</summary>
    public IReadOnlyList<(string Name, double Percent)> Sections =>
        RewardBenchSections.Compute(Subsets.Where(r => r.Pairs > r.Errors).ToDictionary(r => r.Name, r => r.Accuracy));

    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{"subset",-24} {"pairs",7} {"correct",8} {"accuracy",9} {"errors",7}");
        foreach (var r in Subsets.Append(Overall))
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{r.Name,-24} {r.Pairs,7} {r.Correct,8} {r.Accuracy * 100,8:F1}% {r.Errors,7}"));
        if (Sections.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("RewardBench sections (its leaderboard's weighting):");
            foreach (var (name, percent) in Sections)
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{name,-24} {percent,8:F1}"));
        }
        return sb.ToString();
    }

    public string ToJson()
    {
        return Data.JsonLines.Format(w =>
        {
            Write(w, "overall", Overall);
            w.WriteStartObject("subsets");
            foreach (var r in Subsets) Write(w, r.Name, r);
            w.WriteEndObject();
            if (Sections.Count == 0) return;
            w.WriteStartObject("rewardbench");
            foreach (var (name, percent) in Sections) w.WriteNumber(name, Math.Round(percent, 2));
            w.WriteEndObject();
        }, indented: true) + "\n";
    }

    private static void Write(Utf8JsonWriter w, string name, Row r)
    {
        w.WriteStartObject(name);
        w.WriteNumber("pairs", r.Pairs);
        w.WriteNumber("correct", r.Correct);
        w.WriteNumber("accuracy", Math.Round(r.Accuracy, 6));
        w.WriteNumber("errors", r.Errors);
        w.WriteEndObject();
    }
}
