using System.Text.Json;
using Merlinite.Engine.Core;
using Merlinite.Engine.Serving;
using Microsoft.AspNetCore.Http;

namespace Merlinite.Serve;

/// <summary>
/// Writes one response from the scheduler's events: a JSON body when every choice is done, or server-sent events as
/// tokens arrive (`data: {chunk}` lines, `data: [DONE]` at the end), in the chat or the legacy completions shape.
/// </summary>
internal sealed class ResponseWriter(HttpContext ctx, string id, string modelId, bool chat, ApiRequest request, TokenText text, IReadOnlyList<string> promptTexts)
{
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    private readonly List<ChoiceState> _choices = new();
    private readonly Dictionary<int, PromptScored> _prompts = new();
    private int _promptTokens;

    public int CompletionTokens => _choices.Sum(c => c.Generated);

    /// <summary>Tokens generated so far, finished choices or not (the request log's count).</summary>
    public int TokensSoFar => _choices.Sum(c => c.Finish is null ? c.Received : c.Generated);

    public async Task RunAsync(IReadOnlyList<ServeRequest> requests)
    {
        for (int i = 0; i < requests.Count * request.N; i++) _choices.Add(new ChoiceState(i));
        _promptTokens = requests.Sum(r => r.Work.PromptTokens.Length);
        if (request.Stream)
        {
            ctx.Response.ContentType = "text/event-stream";
            ctx.Response.Headers.CacheControl = "no-cache";
            if (chat)
                foreach (var c in _choices) await Send(w => Chunk(w, c, role: true, delta: "", token: null, finish: null));
        }
        for (int i = 0; i < requests.Count; i++)
        {
            int offset = i * request.N;
            await foreach (var e in requests[i].Events.Reader.ReadAllAsync(CancellationToken.None))
            {
                switch (e)
                {
                    case PromptScored p:
                        _prompts[i] = p;
                        if (request.Stream && !chat) await Send(w => CompletionChunkEcho(w, offset, i, p));
                        break;
                    case ChoiceDelta d:
                    {
                        var c = _choices[offset + d.Index];
                        if (d.Token >= 0) c.Received++;
                        TokenInfo? info = null;
                        if (d.Token >= 0 && request.Logprobs)
                        {
                            int at = EchoLength(i) + c.Text.Length;
                            info = new TokenInfo(text.Bytes(d.Token), d.LogProb, text.Top(d.Top), at);
                            c.Tokens.Add(info);
                        }
                        c.Text.Append(d.Text);
                        if (request.Stream && (d.Text.Length > 0 || info is not null)) await Send(w => Chunk(w, c, role: false, delta: d.Text, token: info, finish: null));
                        break;
                    }
                    case ChoiceFinished f:
                    {
                        var c = _choices[offset + f.Index];
                        c.Finish = f.Reason;
                        c.Generated = f.Tokens;
                        if (request.Stream) await Send(w => Chunk(w, c, role: false, delta: null, token: null, finish: ChoiceState.FinishName(f.Reason)));
                        break;
                    }
                    case RequestFailed failed:
                        ctx.Items["error"] = failed.Message;
                        if (!request.Stream) throw new ApiError(500, failed.Message, "server_error");
                        await Send(new ApiError(500, failed.Message, "server_error").Write, wrap: false);
                        break;
                }
            }
        }
        ctx.RequestAborted.ThrowIfCancellationRequested();
        if (request.Stream)
        {
            if (request.IncludeUsage) await Send(w => { Header(w, chat ? "chat.completion.chunk" : "text_completion"); w.WriteStartArray("choices"); w.WriteEndArray(); Usage(w); });
            await ctx.Response.WriteAsync("data: [DONE]\n\n");
            return;
        }
        await ServeHost.WriteJson(ctx, w =>
        {
            Header(w, chat ? "chat.completion" : "text_completion");
            w.WriteStartArray("choices");
            foreach (var c in _choices) Choice(w, c);
            w.WriteEndArray();
            Usage(w);
        });
    }

    private int EchoLength(int prompt) => request.Echo ? promptTexts[prompt].Length : 0;

    private async Task Send(Action<Utf8JsonWriter> write, bool wrap = true)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Merlinite.Engine.Data.JsonStyle.Line))
        {
            if (wrap) w.WriteStartObject();
            write(w);
            if (wrap) w.WriteEndObject();
        }
        await ctx.Response.WriteAsync("data: ", ctx.RequestAborted);
        await ctx.Response.Body.WriteAsync(ms.ToArray(), ctx.RequestAborted);
        await ctx.Response.WriteAsync("\n\n", ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
    }

    private void Header(Utf8JsonWriter w, string type)
    {
        w.WriteString("id", id);
        w.WriteString("object", type);
        w.WriteNumber("created", _created);
        w.WriteString("model", modelId);
    }

    private void Usage(Utf8JsonWriter w)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", _promptTokens);
        w.WriteNumber("completion_tokens", CompletionTokens);
        w.WriteNumber("total_tokens", _promptTokens + CompletionTokens);
        w.WriteEndObject();
    }

    /// <summary>A finished choice of a JSON response.</summary>
    private void Choice(Utf8JsonWriter w, ChoiceState c)
    {
        w.WriteStartObject();
        w.WriteNumber("index", c.Index);
        int prompt = c.Index / request.N;
        if (chat)
        {
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            w.WriteString("content", c.Text.ToString());
            w.WriteEndObject();
            if (request.Logprobs) ChatLogprobs(w, c.Tokens); else w.WriteNull("logprobs");
        }
        else
        {
            w.WriteString("text", (request.Echo ? promptTexts[prompt] : "") + c.Text);
            if (request.Logprobs) CompletionLogprobs(w, (request.Echo ? PromptTokens(prompt) : []).Concat(c.Tokens).ToList()); else w.WriteNull("logprobs");
        }
        w.WriteString("finish_reason", ChoiceState.FinishName(c.Finish));
        w.WriteEndObject();
    }

    /// <summary>A streamed chunk of one choice: new text, the token's log-probs, or its finish reason.</summary>
    private void Chunk(Utf8JsonWriter w, ChoiceState c, bool role, string? delta, TokenInfo? token, string? finish)
    {
        Header(w, chat ? "chat.completion.chunk" : "text_completion");
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", c.Index);
        if (chat)
        {
            w.WriteStartObject("delta");
            if (role) w.WriteString("role", "assistant");
            if (delta is not null) w.WriteString("content", delta);
            w.WriteEndObject();
            if (token is not null) ChatLogprobs(w, [token]); else w.WriteNull("logprobs");
        }
        else
        {
            w.WriteString("text", delta ?? "");
            if (token is not null) CompletionLogprobs(w, [token]); else w.WriteNull("logprobs");
        }
        if (finish is null) w.WriteNull("finish_reason"); else w.WriteString("finish_reason", finish);
        w.WriteEndObject();
        w.WriteEndArray();
    }

    /// <summary>The echoed prompt of a streamed completion (echo with logprobs): one chunk per choice.</summary>
    private void CompletionChunkEcho(Utf8JsonWriter w, int offset, int prompt, PromptScored p)
    {
        Header(w, "text_completion");
        w.WriteStartArray("choices");
        for (int k = 0; k < request.N; k++)
        {
            w.WriteStartObject();
            w.WriteNumber("index", offset + k);
            w.WriteString("text", promptTexts[prompt]);
            CompletionLogprobs(w, PromptTokens(prompt));
            w.WriteNull("finish_reason");
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>The prompt's tokens with their log-probs (the first has none), as an echo shows them.</summary>
    private List<TokenInfo> PromptTokens(int prompt)
    {
        if (!_prompts.TryGetValue(prompt, out var p)) return [];
        var list = new List<TokenInfo>();
        // Offsets count characters of the text: a character split over byte-fallback tokens counts once, at the
        // token that completes it (the streaming decoder the generated text goes through does the same).
        var utf8 = new Merlinite.Engine.Generation.Utf8PieceDecoder();
        var offsets = new int[p.Tokens.Count];
        int offset = 0;
        for (int i = 0; i < p.Tokens.Count; i++)
        {
            offsets[i] = offset;
            offset += utf8.Push(text.TextBytes(p.Tokens[i])).Length;
        }
        // The echoed text lacks the space SentencePiece's add_space_prefix puts before the first word (" Reverse"):
        // count offsets in the echoed text, as the generated tokens' offsets that follow it are.
        int prefix = Math.Max(0, offset - promptTexts[prompt].Length);
        for (int i = 0; i < p.Tokens.Count; i++)
        {
            var top = i == 0 ? [] : text.Top(p.Top[i]);
            list.Add(new TokenInfo(text.Bytes(p.Tokens[i]), p.LogProbs[i], top, Math.Max(0, offsets[i] - prefix)));
        }
        return list;
    }

    private static void ChatLogprobs(Utf8JsonWriter w, IReadOnlyList<TokenInfo> tokens)
    {
        w.WriteStartObject("logprobs");
        w.WriteStartArray("content");
        foreach (var t in tokens)
        {
            w.WriteStartObject();
            TokenFields(w, t.Bytes, t.LogProb ?? 0);
            w.WriteStartArray("top_logprobs");
            foreach (var (bytes, lp) in t.Top) { w.WriteStartObject(); TokenFields(w, bytes, lp); w.WriteEndObject(); }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary><c>bytes</c> are the token's raw bytes (joined, they rebuild the text exactly, as OpenAI documents);
    /// <c>token</c> is their text, or the <c>bytes:\xNN</c> form when they split a character.</summary>
    private static void TokenFields(Utf8JsonWriter w, byte[] bytes, double logProb)
    {
        w.WriteString("token", TokenText.Display(bytes));
        w.WriteNumber("logprob", logProb);
        w.WriteStartArray("bytes");
        foreach (byte b in bytes) w.WriteNumberValue(b);
        w.WriteEndArray();
    }

    /// <summary>The legacy shape: parallel lists of tokens, their log-probs, the top alternatives and text offsets.</summary>
    private static void CompletionLogprobs(Utf8JsonWriter w, IReadOnlyList<TokenInfo> tokens)
    {
        w.WriteStartObject("logprobs");
        w.WriteStartArray("tokens");
        foreach (var t in tokens) w.WriteStringValue(TokenText.Display(t.Bytes));
        w.WriteEndArray();
        w.WriteStartArray("token_logprobs");
        foreach (var t in tokens) if (t.LogProb is double lp) w.WriteNumberValue(lp); else w.WriteNullValue();
        w.WriteEndArray();
        w.WriteStartArray("top_logprobs");
        foreach (var t in tokens)
        {
            if (t.LogProb is null) { w.WriteNullValue(); continue; }
            w.WriteStartObject();
            foreach (var (bytes, lp) in t.Top) w.WriteNumber(TokenText.Display(bytes), lp);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("text_offset");
        foreach (var t in tokens) w.WriteNumberValue(t.TextOffset);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
