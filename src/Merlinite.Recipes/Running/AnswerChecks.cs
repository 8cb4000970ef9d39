using Merlinite.Engine.Data;

namespace Merlinite.Recipes.Running;

/// <summary>
/// The exact-match checker behind "samples right" and "held-out accuracy": a reply is right when its text equals the
/// prompt line's "answer" (whitespace-trimmed). It is independent of the reward, so it tells whether a rising reward
/// means better answers.
/// </summary>
public static class AnswerChecks
{
    /// <summary>Share of all samples of prompts that have an answer whose text is that answer; null when none has one.</summary>
    public static double? ShareRight(IReadOnlyList<SampledPrompt> samples, IReadOnlyList<PromptItem> prompts)
    {
        var answers = prompts.Where(p => p.Answer is not null).ToDictionary(p => p.Id, p => p.Answer!.Trim(), StringComparer.Ordinal);
        var checkable = samples.Where(s => answers.ContainsKey(s.Id)).SelectMany(s => s.Samples.Select(x => (s.Id, x.Text))).ToList();
        return checkable.Count == 0 ? null : checkable.Count(x => x.Text.Trim() == answers[x.Id]) / (double)checkable.Count;
    }
}
