using System.Text.Json;

namespace Merlinite.Cli.Tests;

/// <summary>`merlinite eval` from the outside: its log-likelihoods are `merlinite score`'s for the same texts, it prints
/// the summary table, and a rerun keeps, a changed setting recomputes.</summary>
public class EvalCliTests
{
    [Fact]
    public void Multiple_choice_log_likelihoods_equal_what_score_gives_the_same_context_and_choice()
    {
        using var dir = new TempDir();
        string model = dir.File("m.gguf"), data = dir.File("mc.jsonl"), pairs = dir.File("pairs.jsonl");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "11", "--out", model).ExitCode);
        File.WriteAllLines(data,
        [
            """{"id":"q1","question":"Reverse: 1 2 3","choices":["3 2 1","1 2 3","2 1"],"answer":0}""",
            """{"id":"q2","question":"Sort the digits 9 4 7","choices":["4 7 9","9 7 4"],"answer":0}""",
        ]);
        var run = MerliniteBinary.Run("eval", "multiple_choice", "-m", model, "-d", data, "-o", dir.File("out/mc.jsonl"), "-t", "1");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("acc *", run.Stdout);
        Assert.Contains("± stderr", run.Stdout);

        // The same (context, " " + choice) pairs through `score` (raw text, no end-of-text token).
        File.WriteAllLines(pairs,
        [
            """{"id":"q1#0","prompt":"Reverse: 1 2 3","response":" 3 2 1"}""", """{"id":"q1#1","prompt":"Reverse: 1 2 3","response":" 1 2 3"}""",
            """{"id":"q1#2","prompt":"Reverse: 1 2 3","response":" 2 1"}""",
            """{"id":"q2#0","prompt":"Sort the digits 9 4 7","response":" 4 7 9"}""", """{"id":"q2#1","prompt":"Sort the digits 9 4 7","response":" 9 7 4"}""",
        ]);
        Assert.Equal(0, MerliniteBinary.Run("score", "-m", model, "-i", pairs, "-o", dir.File("scores.jsonl"), "--template", "raw", "-t", "1").ExitCode);
        var sums = File.ReadAllLines(dir.File("scores.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => e.GetProperty("id").GetString()!, e => e.GetProperty("sum").GetDouble());
        foreach (var line in File.ReadAllLines(dir.File("out/mc.jsonl")))
        {
            var row = JsonDocument.Parse(line).RootElement;
            string id = row.GetProperty("id").GetString()!;
            var ll = row.GetProperty("loglikelihoods").EnumerateArray().Select(e => e.GetDouble()).ToList();
            // Scored with other batch shapes: at most 2e-6 per token measured (Engine ReferenceParityTests); 4 places.
            for (int k = 0; k < ll.Count; k++) Assert.Equal(sums[$"{id}#{k}"], ll[k], 4);
        }
        var summary = JsonDocument.Parse(File.ReadAllText(dir.File("out/mc.summary.json"))).RootElement;
        Assert.Equal("acc", summary.GetProperty("headline").GetString());
        Assert.Equal(2, summary.GetProperty("items").GetInt32());

        // A rerun keeps the finished output (given with -i, as every command takes its input: the same setting as
        // -d); with --restart it is recomputed; a different --limit is refused.
        var again = MerliniteBinary.Run("eval", "multiple_choice", "-m", model, "-i", data, "-o", dir.File("out/mc.jsonl"),
            "-t", "1");
        Assert.Contains("nothing to do", again.Stderr + again.Stdout);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("acc *", again.Stdout);
        Assert.Contains("is up to date", again.Stderr);
        var limited = MerliniteBinary.Run("eval", "multiple_choice", "-m", model, "-d", data, "--limit", "1", "-o", dir.File("out/mc.jsonl"), "-t", "1");
        Assert.Equal(2, limited.ExitCode);
        Assert.Contains("limit", limited.Stderr);
        var restarted = MerliniteBinary.Run("eval", "multiple_choice", "-m", model, "-d", data, "--limit", "1", "-o", dir.File("out/mc.jsonl"), "-t", "1", "--restart");
        Assert.Equal(0, restarted.ExitCode);
        Assert.Single(File.ReadAllLines(dir.File("out/mc.jsonl")));
    }
}
