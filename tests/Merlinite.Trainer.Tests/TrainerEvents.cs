using System.Text.Json;

namespace Merlinite.Trainer.Tests;

/// <summary>The trainer's stdout: one JSON object per line, each with an "event" name.</summary>
public static class TrainerEvents
{
    public static List<JsonElement> Parse(string stdout) => stdout
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(line => JsonDocument.Parse(line).RootElement.Clone())
        .ToList();

    public static IEnumerable<JsonElement> OfKind(this IEnumerable<JsonElement> events, string kind) =>
        events.Where(e => e.GetProperty("event").GetString() == kind);
}
