using System.Globalization;
using System.Text.Json;

namespace Merlinite.Cli.Tests;

public class ScoreRewardCliTests
{
    private static readonly string[] Pairs =
    [
        "{\"id\":\"a\",\"prompt\":\"Reverse: 1 2 3\",\"response\":\"3 2 1\"}",
        "{\"id\":\"b\",\"prompt\":\"Reverse: 1 2 3\",\"response\":\"1 2 3\"}",
        "{\"id\":\"c\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"},{\"role\":\"assistant\",\"content\":\"hello there\"}]}",
        "{\"id\":\"d\",\"prompt\":\"Sort the digits 9 4 7\",\"response\":\"4 7 9\"}",
    ];

    private static (TempDir Dir, string Policy, string Reference, string Input) Setup()
    {
        var dir = new TempDir();
        string policy = dir.File("policy.gguf"), reference = dir.File("ref.gguf"), input = dir.File("pairs.jsonl");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "11", "--out", policy).ExitCode);
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "12", "--out", reference).ExitCode);
        File.WriteAllLines(input, Pairs);
        return (dir, policy, reference, input);
    }

    private static Dictionary<string, JsonElement> ReadById(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => e.GetProperty("id").GetString()!);

    [Fact]
    public void Reward_equals_beta_times_the_difference_of_two_separate_score_runs()
    {
        var (dir, policy, reference, input) = Setup();
        using var _ = dir;
        Assert.Equal(0, MerliniteBinary.Run("score", "-m", policy, "-i", input, "-o", dir.File("p.jsonl"), "-t", "1").ExitCode);
        Assert.Equal(0, MerliniteBinary.Run("score", "-m", reference, "-i", input, "-o", dir.File("r.jsonl"), "-t", "1").ExitCode);
        var r = MerliniteBinary.Run("reward", "--instruct-model", policy, "--reference-model", reference, "--template", "merlinite", "-i", input, "--beta", "0.25", "-o", dir.File("rw.jsonl"), "-t", "1");
        Assert.Equal(0, r.ExitCode);

        var p = ReadById(dir.File("p.jsonl"));
        var q = ReadById(dir.File("r.jsonl"));
        var rewards = ReadById(dir.File("rw.jsonl"));
        Assert.Equal(4, rewards.Count);
        foreach (var (id, reward) in rewards)
        {
            double expected = 0.25 * (p[id].GetProperty("sum").GetDouble() - q[id].GetProperty("sum").GetDouble());
            // The reward scores all pairs in one batch, score each file in its own: other batch shapes, at most 2e-6 per
            // token measured (Engine ReferenceParityTests) × ~10 tokens × beta; 5 places.
            Assert.Equal(expected, reward.GetProperty("reward").GetDouble(), 5);
            Assert.Equal(p[id].GetProperty("count").GetInt32(), reward.GetProperty("count").GetInt32());
        }
        // --norm mean divides by the token count instead.
        Assert.Equal(0, MerliniteBinary.Run("reward", "--instruct-model", policy, "--reference-model", reference, "--template", "merlinite", "-i", input, "--norm", "mean", "-o", dir.File("rm.jsonl"), "-t", "1").ExitCode);
        var mean = ReadById(dir.File("rm.jsonl"));
        // As above, per token.
        Assert.Equal(0.1 * (p["a"].GetProperty("mean").GetDouble() - q["a"].GetProperty("mean").GetDouble()), mean["a"].GetProperty("reward").GetDouble(), 5);
    }

    [Fact]
    public void Models_with_different_vocabularies_are_refused_with_the_reason()
    {
        var (dir, policy, _, input) = Setup();
        using var __ = dir;
        var other = dir.File("other.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--dims", "n_vocab=1200", "--out", other).ExitCode);
        var r = MerliniteBinary.Run("reward", "--instruct-model", policy, "--reference-model", other, "--template", "merlinite", "-i", input, "-o", dir.File("rw.jsonl"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("different vocabularies", r.Stderr);
        Assert.Contains("1080", r.Stderr);
        Assert.False(File.Exists(dir.File("rw.jsonl")));
    }

    [Fact]
    public void A_malformed_line_names_its_number_and_nothing_is_written()
    {
        var (dir, policy, _, input) = Setup();
        using var __ = dir;
        File.WriteAllLines(input, [Pairs[0], Pairs[1], "{\"id\":\"x\",\"prompt\":\"no response\"}"]);
        var r = MerliniteBinary.Run("score", "-m", policy, "-i", input, "-o", dir.File("s.jsonl"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("pairs.jsonl:3:", r.Stderr);
        Assert.Contains("response", r.Stderr);
        Assert.Empty(Directory.GetFiles(dir.Path, "s.jsonl*"));
    }

    [Fact]
    public void A_killed_score_run_keeps_finished_lines_and_scores_the_rest()
    {
        var (dir, policy, _, input) = Setup();
        using var __ = dir;
        Assert.Equal(0, MerliniteBinary.Run("score", "-m", policy, "-i", input, "-o", dir.File("full.jsonl"), "-t", "1").ExitCode);
        var full = File.ReadAllText(dir.File("full.jsonl"));

        // What a kill leaves: a .partial file with two complete lines and a torn third one.
        var lines = full.Split('\n');
        File.WriteAllText(dir.File("resumed.jsonl.partial"), lines[0] + "\n" + lines[1] + "\n" + lines[2][..20]);
        File.Copy(dir.File("full.jsonl.meta.json"), dir.File("resumed.jsonl.meta.json")); // what the killed run recorded before it began
        var r = MerliniteBinary.Run("score", "-m", policy, "-i", input, "-o", dir.File("resumed.jsonl"), "-t", "1");
        Assert.Equal(0, r.ExitCode);
        Assert.False(File.Exists(dir.File("resumed.jsonl.partial")));
        // The rerun redoes the whole unfinished block from an empty cache, so it batches as the first run did and
        // the file is byte-identical (before blocks, rescored lines moved by ~1e-5).
        Assert.Equal(full, File.ReadAllText(dir.File("resumed.jsonl")));
    }

    [Fact]
    public void Reward_eval_reports_accuracy_per_subset_consistent_with_the_rewards()
    {
        var (dir, policy, reference, _) = Setup();
        using var __ = dir;
        var prefs = dir.File("prefs.jsonl");
        File.WriteAllLines(prefs,
        [
            "{\"id\":\"1\",\"prompt\":\"Reverse: 1 2 3\",\"chosen\":\"3 2 1\",\"rejected\":\"1 2 3\",\"subset\":\"reverse\"}",
            "{\"id\":\"2\",\"prompt\":\"Reverse: a b\",\"chosen\":\"b a\",\"rejected\":\"a b\",\"subset\":\"reverse\"}",
            "{\"id\":\"3\",\"prompt\":\"Sort 3 1 2\",\"chosen\":\"1 2 3\",\"rejected\":\"3 1 2\",\"subset\":\"sort\"}",
        ]);
        var r = MerliniteBinary.Run("reward", "eval", "-i", prefs, "--instruct-model", policy, "--reference-model", reference, "--template", "merlinite", "--json", "-t", "1");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var overall = doc.RootElement.GetProperty("overall");
        Assert.Equal(3, overall.GetProperty("pairs").GetInt32());
        Assert.Equal(2, doc.RootElement.GetProperty("subsets").GetProperty("reverse").GetProperty("pairs").GetInt32());

        // The same pairs through `reward`: the accuracy must follow from those rewards.
        var asPairs = dir.File("as-pairs.jsonl");
        File.WriteAllLines(asPairs, File.ReadAllLines(prefs).SelectMany(l =>
        {
            var e = JsonDocument.Parse(l).RootElement;
            string id = e.GetProperty("id").GetString()!, prompt = e.GetProperty("prompt").GetString()!;
            return new[] { ("c", "chosen"), ("r", "rejected") }.Select(x =>
                JsonSerializerLine(id + x.Item1, prompt, e.GetProperty(x.Item2).GetString()!));
        }));
        Assert.Equal(0, MerliniteBinary.Run("reward", "--instruct-model", policy, "--reference-model", reference, "--template", "merlinite", "-i", asPairs, "-o", dir.File("rw.jsonl"), "-t", "1").ExitCode);
        var rw = ReadById(dir.File("rw.jsonl"));
        int correct = new[] { "1", "2", "3" }.Count(id => rw[id + "c"].GetProperty("reward").GetDouble() > rw[id + "r"].GetProperty("reward").GetDouble());
        Assert.Equal(correct, overall.GetProperty("correct").GetInt32());

        var table = MerliniteBinary.Run("reward", "eval", "-i", prefs, "--instruct-model", policy, "--reference-model", reference, "--template", "merlinite", "-t", "1");
        Assert.Contains("overall", table.Stdout);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{100.0 * correct / 3,8:F1}%"), table.Stdout);
    }

    private static string JsonSerializerLine(string id, string prompt, string response)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject(); w.WriteString("id", id); w.WriteString("prompt", prompt); w.WriteString("response", response); w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
