using System.CommandLine;
using Merlinite.Engine.Settings;

namespace Merlinite.Cli.Infrastructure;

/// <summary>"Did you mean …?" for a mistyped option or command. Users bring the spellings of the tools they know
/// (llama.cpp, vLLM, Hugging Face's trainers, PEFT), so those map to our flag first; then snake_case is read as
/// kebab-case; then the nearest name by edit distance.</summary>
public static class Suggestions
{
    // Another tool's flag → ours, in order of preference: the first one this command has is suggested. Suggested, not
    // accepted: each setting keeps one name (a second spelling would show up in scripts, docs and recipes).
    private static readonly Dictionary<string, string[]> ElsewhereCalled = new(StringComparer.Ordinal)
    {
        ["--temperature"] = ["--temp"],
        ["-n"] = ["--n", "--max-tokens"], // OpenAI's n where a command samples several answers, else llama.cpp's
        ["--n-predict"] = ["--max-tokens"], ["--predict"] = ["--max-tokens"], ["--max-new-tokens"] = ["--max-tokens"],
        ["--num-samples"] = ["--n"], ["--num-return-sequences"] = ["--n"], ["--best-of"] = ["--n"],
        ["--model-path"] = ["--model"], ["--model-file"] = ["--model"], ["--model-name-or-path"] = ["--model"],
        ["--output"] = ["--out"], ["--output-dir"] = ["--out"], ["--output-file"] = ["--out"],
        ["--learning-rate"] = ["--lr"], ["--num-train-epochs"] = ["--epochs"], ["--num-epochs"] = ["--epochs"],
        ["--lora-r"] = ["--lora-rank"], ["--rank"] = ["--lora-rank"], ["--alpha"] = ["--lora-alpha"],
        ["--per-device-train-batch-size"] = ["--batch-size"], ["--micro-batch-size"] = ["--batch-size"],
        ["--gradient-accumulation-steps"] = ["--grad-accum"], ["--max-seq-length"] = ["--max-seq-len"],
        ["--ctx-size"] = ["--ctx"], ["--n-ctx"] = ["--ctx"], ["--context-size"] = ["--ctx"],
        ["--max-model-len"] = ["--ctx"], ["--n-gpu-layers"] = ["--gpu-layers"], ["--threads-batch"] = ["--threads"],
        ["--n-threads"] = ["--threads"], ["--chat-template"] = ["--template"], ["--system-prompt"] = ["--system"],
        ["--repetition-penalty"] = ["--repeat-penalty"],
        ["--flash-attn"] = ["--fast-attn"], ["-fa"] = ["--fast-attn"], ["--num-fewshot"] = ["--shots"],
    };

    /// <summary>The option (for a token starting with '-') or subcommand of <paramref name="command"/> the user most
    /// likely meant by <paramref name="token"/>, or null when none is near.</summary>
    public static string? Closest(Command command, string token)
    {
        string key = token.Split('=', 2)[0];
        if (!key.StartsWith('-'))
            return NearestName.Find(key,
                command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name)));
        var flags = command.Options.Concat(Ancestors(command).SelectMany(p => p.Options.Where(o => o.Recursive)))
            .Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).ToList();
        string kebab = key.Replace('_', '-');
        if (ElsewhereCalled.TryGetValue(kebab, out var ours) && ours.FirstOrDefault(flags.Contains) is { } known)
            return known;
        if (kebab != key && flags.Contains(kebab)) return kebab;
        return NearestName.Find(key, flags);
    }

    private static IEnumerable<Command> Ancestors(Command command)
    {
        for (var c = command.Parents.OfType<Command>().FirstOrDefault(); c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            yield return c;
    }
}
