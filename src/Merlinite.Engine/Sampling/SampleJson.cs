using System.Text;
using System.Text.Json;
using Merlinite.Engine.Data;
using Merlinite.Engine.Generation;

namespace Merlinite.Engine.Sampling;

/// <summary>
/// One output line per prompt: <c>{"id", "source"?, "messages", "prompt_tokens", "samples": [{"index", "seed", "text",
/// "finish_reason", "tokens"}]}</c>. The messages are repeated so the file alone is enough to score the samples.
/// </summary>
public static class SampleJson
{
    public static string Format(PromptItem item, PromptSamples result)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("id", item.Id);
            if (item.Source is not null) w.WriteString("source", item.Source);
            w.WriteStartArray("messages");
            foreach (var m in item.Messages)
            {
                w.WriteStartObject();
                w.WriteString("role", m.Role.ToString().ToLowerInvariant());
                w.WriteString("content", m.Content);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("prompt_tokens", result.Request.PromptTokens.Length);
            w.WriteStartArray("samples");
            foreach (var s in result.Samples)
            {
                w.WriteStartObject();
                w.WriteNumber("index", s.Index);
                w.WriteNumber("seed", s.Seed);
                w.WriteString("text", s.Text);
                w.WriteString("finish_reason", s.FinishReason.ToWireName());
                w.WriteNumber("tokens", s.Tokens);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
