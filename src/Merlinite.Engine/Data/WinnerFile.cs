using System.Text;
using System.Text.Json;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Jobs;

namespace Merlinite.Engine.Data;

/// <summary>
/// The winners file (a recipe's round-k/winners.jsonl): one SFT example per line, <c>{"id", "sample", "reward",
/// "messages"}</c> with the winning answer as the last (assistant) message, so <see cref="PairFile"/> reads it as
/// training data directly.
/// </summary>
public static class WinnerFile
{
    public static string Format(Winner w)
    {
        return JsonLines.Format(writer =>
        {
            writer.WriteString("id", w.PromptId);
            writer.WriteNumber("sample", w.Sample);
            writer.WriteNumber("reward", Math.Round(w.Reward, 6));
            PromptFile.WriteMessages(writer, w.Messages.Append(ChatMessage.Assistant(w.Response)));
        });
    }
}
