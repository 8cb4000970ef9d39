using System.Text.Json;
using Merlinite.Engine.Chat;

namespace Merlinite.Serve;

/// <summary>What a /v1/chat/completions or /v1/completions request asks for, read field by field: a field of the wrong
/// type or out of range is a 400 naming it; fields the server does not use are ignored, as OpenAI's API does.</summary>
public sealed record ApiRequest
{
    public string? Model { get; init; }
    /// <summary>Chat: the conversation.</summary>
    public IReadOnlyList<ChatMessage>? Messages { get; init; }
    /// <summary>Completions: one prompt per entry (a list of prompts is answered choice block by choice block).</summary>
    public IReadOnlyList<string>? Prompts { get; init; }
    /// <summary>Completions given as token ids (one list per prompt), used as they are.</summary>
    public IReadOnlyList<int[]>? PromptTokens { get; init; }
    public int? MaxTokens { get; init; }
    public int N { get; init; } = 1;
    public float Temperature { get; init; } = 1.0f;
    public float TopP { get; init; } = 1.0f;
    public uint? Seed { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }
    /// <summary>Chat: logprobs true; completions: logprobs = k (then <see cref="TopLogprobs"/> = k).</summary>
    public bool Logprobs { get; init; }
    public int TopLogprobs { get; init; }
    public bool Echo { get; init; }
    /// <summary>Chat, "truncation": "auto" (the name OpenAI's Responses API gives it): drop the oldest turns until
    /// the conversation fits, as `merlinite chat` does; "disabled" (the default): refuse a conversation that does
    /// not.</summary>
    public bool DropOldest { get; init; }
    /// <summary>llama-server's extension: never end at an end-of-generation token (fixed-length answers, benchmarks).</summary>
    public bool? IgnoreEos { get; init; }

    public static ApiRequest Parse(ReadOnlyMemory<byte> body, bool chat)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(body); }
        catch (JsonException e) { throw ApiError.Invalid($"the body is not valid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw ApiError.Invalid("the body must be a JSON object");
            JsonText.Check(root);
            var r = new ApiRequest
            {
                Model = OptionalString(root, "model"),
                MaxTokens = OptionalInt(root, "max_completion_tokens") ?? OptionalInt(root, "max_tokens"),
                N = OptionalInt(root, "n") ?? 1,
                Temperature = (float)(OptionalNumber(root, "temperature") ?? 1.0),
                TopP = (float)(OptionalNumber(root, "top_p") ?? 1.0),
                Seed = OptionalInt(root, "seed") is int s ? unchecked((uint)s) : null,
                Stop = Stops(root),
                Stream = OptionalBool(root, "stream") ?? false,
                IncludeUsage = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
                               && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True,
                Echo = !chat && (OptionalBool(root, "echo") ?? false),
                IgnoreEos = OptionalBool(root, "ignore_eos"),
            };
            if (chat)
            {
                r = r with
                {
                    Messages = ReadMessages(root), Logprobs = OptionalBool(root, "logprobs") ?? false,
                    TopLogprobs = OptionalInt(root, "top_logprobs") ?? 0, DropOldest = Truncation(root),
                };
                if (r.TopLogprobs is < 0 or > 20) throw ApiError.Invalid("top_logprobs must be between 0 and 20", "top_logprobs");
                if (r.TopLogprobs > 0 && !r.Logprobs) throw ApiError.Invalid("top_logprobs needs logprobs: true", "top_logprobs");
            }
            else
            {
                int? k = root.TryGetProperty("logprobs", out var lp) && lp.ValueKind != JsonValueKind.Null ? OptionalInt(root, "logprobs") : null;
                if (k is < 0 or > 20) throw ApiError.Invalid("logprobs must be between 0 and 20", "logprobs");
                var (texts, ids) = PromptList(root);
                r = r with { Prompts = texts, PromptTokens = ids, Logprobs = k is not null, TopLogprobs = k ?? 0 };
            }
            if (r.N is < 1 or > 128) throw ApiError.Invalid($"n must be between 1 and 128 (got {r.N})", "n");
            if (r.MaxTokens is < 0) throw ApiError.Invalid("max_tokens must not be negative", "max_tokens");
            if (r.MaxTokens == 0 && !(r.Echo && r.Logprobs)) throw ApiError.Invalid("max_tokens must be at least 1 (0 only with echo and logprobs)", "max_tokens");
            if (!float.IsFinite(r.Temperature) || r.Temperature < 0 || r.Temperature > 2) throw ApiError.Invalid("temperature must be between 0 and 2", "temperature");
            if (!float.IsFinite(r.TopP) || r.TopP <= 0 || r.TopP > 1) throw ApiError.Invalid("top_p must be greater than 0 and at most 1", "top_p");
            if (r.Stop.Count > 4) throw ApiError.Invalid("at most 4 stop sequences", "stop");
            return r;
        }
    }

    private static string? OptionalString(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString() : throw ApiError.Invalid($"{name} must be a string", name);

    private static bool? OptionalBool(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw ApiError.Invalid($"{name} must be true or false", name);

    private static double? OptionalNumber(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw ApiError.Invalid($"{name} must be a number", name);

    private static int? OptionalInt(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null ? null
        : v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw ApiError.Invalid($"{name} must be an integer", name);

    private static bool Truncation(JsonElement root) => OptionalString(root, "truncation") switch
    {
        null or "disabled" => false,
        "auto" => true,
        _ => throw ApiError.Invalid("truncation must be \"auto\" or \"disabled\"", "truncation"),
    };

    private static List<string> Stops(JsonElement root)
    {
        if (!root.TryGetProperty("stop", out var v) || v.ValueKind == JsonValueKind.Null) return [];
        if (v.ValueKind == JsonValueKind.String) return [v.GetString()!];
        if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
            return v.EnumerateArray().Select(e => e.GetString()!).ToList();
        throw ApiError.Invalid("stop must be a string or a list of strings", "stop");
    }

    private static List<ChatMessage> ReadMessages(JsonElement root)
    {
        if (!root.TryGetProperty("messages", out var v) || v.ValueKind != JsonValueKind.Array || v.GetArrayLength() == 0)
            throw ApiError.Invalid("messages must be a non-empty list", "messages");
        var list = new List<ChatMessage>();
        foreach (var m in v.EnumerateArray())
        {
            string at = $"messages[{list.Count}]";
            if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                throw ApiError.Invalid($"{at} needs a string role", at);
            string content = !m.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null ? ""
                : c.ValueKind == JsonValueKind.String ? c.GetString()!
                : c.ValueKind == JsonValueKind.Array ? string.Concat(c.EnumerateArray().Select(part =>
                    part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.GetString() == "text" && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
                        ? text.GetString() : throw ApiError.Invalid($"{at}.content: only text parts are supported", at)))
                : throw ApiError.Invalid($"{at}.content must be a string", at);
            string r = role.GetString()!;
            try { list.Add(new ChatMessage(ChatMessage.ParseRole(r == "developer" ? "system" : r), content)); }
            catch (FormatException) { throw ApiError.Invalid($"{at}: unknown role '{r}' (system, user or assistant)", at); }
        }
        return list;
    }

    /// <summary>A string, a list of strings, a list of token ids, or a list of such lists.</summary>
    private static (List<string>? Texts, List<int[]>? Ids) PromptList(JsonElement root)
    {
        if (!root.TryGetProperty("prompt", out var v)) throw ApiError.Invalid("prompt is required", "prompt");
        static bool IsIds(JsonElement a) => a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0 && a.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _));
        if (v.ValueKind == JsonValueKind.String) return ([v.GetString()!], null);
        if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0)
        {
            if (v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)) return (v.EnumerateArray().Select(e => e.GetString()!).ToList(), null);
            if (IsIds(v)) return (null, [v.EnumerateArray().Select(e => e.GetInt32()).ToArray()]);
            if (v.EnumerateArray().All(IsIds)) return (null, v.EnumerateArray().Select(a => a.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToList());
        }
        throw ApiError.Invalid("prompt must be a string, a non-empty list of strings, a list of token ids, or a list of such lists", "prompt");
    }
}
