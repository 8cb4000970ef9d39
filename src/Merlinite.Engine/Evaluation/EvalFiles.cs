namespace Merlinite.Engine.Evaluation;

/// <summary>Where an eval's other files go: beside its output, named after it without ".jsonl"
/// (results/mt.jsonl → results/mt.summary.json, results/mt.answers.jsonl, results/mt.run-2.jsonl).</summary>
public static class EvalFiles
{
    public static string Beside(string output, string suffix) =>
        (output.EndsWith(".jsonl", StringComparison.Ordinal) ? output[..^".jsonl".Length] : output) + suffix;
}
