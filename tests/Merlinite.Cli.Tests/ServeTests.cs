#pragma warning disable OPENAI001 // ChatCompletionOptions.Seed is marked experimental by the SDK
using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Merlinite.Cli.Tests;

/// <summary>`merlinite serve` against the official OpenAI .NET SDK and raw HTTP, on a synthesized model.</summary>
public sealed class ServeTests : IClassFixture<ServeModel>, IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _model;

    public ServeTests(ServeModel model) => _model = model.Path;

    public void Dispose() => _dir.Dispose();

    private static ChatClient Client(ServerProcess s, string key = "none") =>
        new("srv", new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = s.V1 });

    private static async Task<(HttpStatusCode Status, JsonElement Body)> Post(ServerProcess s, string path, string json, string? key = null)
    {
        var (status, body, _) = await s.Post(path, json, key);
        return (status, body);
    }

    [Fact]
    public async Task The_OpenAI_SDK_chats_streams_and_gets_logprobs_and_a_seed_repeats_a_reply()
    {
        using var s = new ServerProcess(_model);
        var client = Client(s);
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 12, Temperature = 1.0f, Seed = 7, IncludeLogProbabilities = true, TopLogProbabilityCount = 3 };
        ChatCompletion first = await client.CompleteChatAsync([new UserChatMessage("Reverse the list: 1 2 3")], options);
        Assert.False(string.IsNullOrEmpty(first.Content[0].Text));
        Assert.Equal(first.Usage.OutputTokenCount, first.ContentTokenLogProbabilities.Count);
        Assert.All(first.ContentTokenLogProbabilities, t => { Assert.True(t.LogProbability <= 0); Assert.Equal(3, t.TopLogProbabilities.Count); });
        Assert.Equal(string.Concat(first.ContentTokenLogProbabilities.Select(t => t.Token)), first.Content[0].Text);

        ChatCompletion again = await client.CompleteChatAsync([new UserChatMessage("Reverse the list: 1 2 3")], options);
        Assert.Equal(first.Content[0].Text, again.Content[0].Text);

        var streamed = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Reverse the list: 1 2 3")], options))
        {
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
            finish ??= update.FinishReason;
        }
        Assert.Equal(first.Content[0].Text, streamed.ToString());
        Assert.Equal(first.FinishReason, finish);
        Assert.Contains("POST /v1/chat/completions 200", s.Log);
    }

    [Fact]
    public async Task N_choices_share_one_prompt_decode_and_differ()
    {
        using var s = new ServerProcess(_model);
        long before = await s.Metric("merlinite_prompt_tokens_total");
        var (status, body) = await Post(s, "v1/chat/completions", """{"messages":[{"role":"user","content":"Tell me a story"}],"n":4,"max_tokens":16,"temperature":1.0,"seed":3}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var texts = body.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("message").GetProperty("content").GetString()).ToList();
        Assert.Equal(4, texts.Count);
        Assert.Equal(4, texts.Distinct().Count());
        int promptTokens = body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        Assert.Equal(before + promptTokens, await s.Metric("merlinite_prompt_tokens_total"));
        Assert.Equal(0, await s.Metric("merlinite_live_sequences"));
    }

    [Fact]
    public async Task Echo_returns_the_prompt_log_probs_that_score_computes()
    {
        using var s = new ServerProcess(_model);
        var (status, body) = await Post(s, "v1/completions", """{"prompt":"Reverse the list: 1 2 3","max_tokens":0,"echo":true,"logprobs":1}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var lp = body.GetProperty("choices")[0].GetProperty("logprobs");
        var tokenLogprobs = lp.GetProperty("token_logprobs").EnumerateArray().ToList();
        Assert.Equal(JsonValueKind.Null, tokenLogprobs[0].ValueKind);
        Assert.Equal("Reverse the list: 1 2 3", body.GetProperty("choices")[0].GetProperty("text").GetString());

        // merlinite score: the same text split into prompt "Reverse the list:" and response " 1 2 3", raw, no end-of-text.
        File.WriteAllText(_dir.File("pair.jsonl"), """{"id":"a","prompt":"Reverse the list:","response":" 1 2 3"}""" + "\n");
        Assert.Equal(0, MerliniteBinary.Run("score", "-m", _model, "-i", _dir.File("pair.jsonl"), "-o", _dir.File("s.jsonl"), "--template", "raw", "-t", "1").ExitCode);
        var score = JsonDocument.Parse(File.ReadAllLines(_dir.File("s.jsonl"))[0]).RootElement;
        int responseTokens = score.GetProperty("count").GetInt32();
        double echoed = tokenLogprobs.TakeLast(responseTokens).Sum(e => e.GetDouble());
        // One response scored in another batch shape (echo decodes the whole prompt): at most 2e-6 per token measured
        // (Engine ReferenceParityTests) × 3 tokens; 4 places.
        Assert.Equal(score.GetProperty("sum").GetDouble(), echoed, 4);
    }

    [Fact]
    public async Task Bad_requests_get_OpenAI_shaped_errors_and_the_server_keeps_serving()
    {
        using var s = new ServerProcess(_model, "--api-key", "sekret", "--ctx", "256");
        async Task Expect(HttpStatusCode code, string path, string json, string? param = null, string? errorCode = null, string key = "sekret")
        {
            var (status, body) = await Post(s, path, json, key);
            Assert.Equal(code, status);
            var error = body.GetProperty("error");
            Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
            Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
            if (param is not null) Assert.Equal(param, error.GetProperty("param").GetString());
            if (errorCode is not null) Assert.Equal(errorCode, error.GetProperty("code").GetString());
        }
        await Expect(HttpStatusCode.Unauthorized, "v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}]}""", key: "wrong", errorCode: "invalid_api_key");
        await Expect(HttpStatusCode.BadRequest, "v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}""");
        await Expect(HttpStatusCode.BadRequest, "v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"n":0}""", "n");
        await Expect(HttpStatusCode.BadRequest, "v1/chat/completions", """{"messages":[{"role":"user","content":"hi"}],"temperature":"hot"}""", "temperature");
        await Expect(HttpStatusCode.BadRequest, "v1/chat/completions", """{"messages":[{"role":"wizard","content":"hi"}]}""", "messages[0]");
        await Expect(HttpStatusCode.BadRequest, "v1/completions", $$"""{"prompt":"{{string.Join(" ", Enumerable.Repeat("word", 400))}}","max_tokens":8}""", "prompt", "context_length_exceeded");
        await Expect(HttpStatusCode.NotFound, "v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}""", "model", "model_not_found");
        await Expect(HttpStatusCode.RequestEntityTooLarge, "v1/completions", "{\"prompt\":\"" + new string('a', 5 << 20) + "\"}");

        var (ok, reply) = await Post(s, "v1/completions", """{"prompt":"hi","max_tokens":3}""", "sekret");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(3, reply.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(0, s.Stop());
    }

    [Fact]
    public async Task A_client_that_goes_away_mid_stream_frees_its_sequences()
    {
        // A long context so that 4 choices of 9,000 tokens fit: the request is still running when the client leaves.
        using var s = new ServerProcess(_model, "--parallel", "4", "--ctx", "40000");
        using (var cts = new CancellationTokenSource())
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
            {
                Content = new StringContent("""{"messages":[{"role":"user","content":"go on"}],"n":4,"max_tokens":9000,"ignore_eos":true,"stream":true}""", Encoding.UTF8, "application/json"),
            };
            var resp = await s.Http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            var stream = await resp.Content.ReadAsStreamAsync(cts.Token);
            var buffer = new byte[256];
            Assert.True(await stream.ReadAsync(buffer, cts.Token) > 0);
            await s.WaitForMetric("merlinite_live_sequences", v => v >= 4, "the 4 choices never ran");
            cts.Cancel();
            resp.Dispose();
        }
        await s.WaitForMetric("merlinite_live_sequences", v => v == 0, "sequences of a gone client are still live");
        Assert.Equal(0, await s.Metric("merlinite_kv_cells_reserved"));
        var (status, _) = await Post(s, "v1/completions", """{"prompt":"still there?","max_tokens":2}""");
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task A_client_that_goes_away_while_its_prompt_is_decoded_frees_its_sequence()
    {
        // 7,000 prompt tokens take the tiny model seconds to decode (a chunk per step), so the client leaves mid-prompt.
        using var s = new ServerProcess(_model, "--parallel", "1", "--ctx", "8192");
        string prompt = "[" + string.Join(",", Enumerable.Range(0, 7000).Select(i => 10 + i * 7 % 200)) + "]";
        using (var cts = new CancellationTokenSource())
        {
            var pending = s.Http.PostAsync("v1/completions", new StringContent($$"""{"prompt":{{prompt}},"max_tokens":4}""", Encoding.UTF8, "application/json"), cts.Token);
            // Admitted (its cells reserved) but no choice running yet: the prompt is being decoded.
            await s.WaitForMetric("merlinite_kv_cells_reserved", v => v > 0, "the request was never admitted");
            Assert.Equal(0, await s.Metric("merlinite_live_sequences"));
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        }
        await s.WaitForMetric("merlinite_kv_cells_reserved", v => v == 0, "the cells of a gone client are still reserved");
        Assert.Equal(0, await s.Metric("merlinite_generated_tokens_total"));
        var (status, _) = await Post(s, "v1/completions", """{"prompt":"still there?","max_tokens":2}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(" 499 ", s.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_health_and_the_chat_page_answer()
    {
        using var s = new ServerProcess(_model);
        var models = JsonDocument.Parse(await s.Http.GetStringAsync("v1/models")).RootElement;
        Assert.Equal("srv", models.GetProperty("data")[0].GetProperty("id").GetString());
        string page = await s.Http.GetStringAsync("");
        Assert.Contains("/v1/chat/completions", page);
        Assert.DoesNotContain("https://", page);
    }

    [Fact]
    public async Task While_the_model_loads_health_and_the_API_answer_503_then_200()
    {
        // A million KV cells take the tiny model a few hundred ms to allocate: the window in which the port is open but
        // the model is not ready (a real 7B model gives seconds of it).
        using var s = new ServerProcess(_model, waitUntilHealthy: false, "--ctx", "1048576", "--parallel", "1");
        var seen = new List<(HttpStatusCode Health, string HealthBody, HttpStatusCode Api, string ApiBody)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                var health = await s.Http.GetAsync("health");
                var api = await s.Http.PostAsync("v1/completions", new StringContent("""{"prompt": "hi", "max_tokens": 1}""", Encoding.UTF8, "application/json"));
                seen.Add((health.StatusCode, await health.Content.ReadAsStringAsync(), api.StatusCode, await api.Content.ReadAsStringAsync()));
                if (health.StatusCode == HttpStatusCode.OK && api.StatusCode == HttpStatusCode.OK) break;
            }
            catch (HttpRequestException) { await Task.Delay(5); } // not listening yet
        }
        Assert.True(seen.Count > 0, s.Log);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, seen[0].Health);
        Assert.Contains("loading", seen[0].HealthBody);
        var loading = seen.Where(x => x.Api == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.NotEmpty(loading);
        Assert.All(loading, x => Assert.Equal("server_error", JsonDocument.Parse(x.ApiBody).RootElement.GetProperty("error").GetProperty("type").GetString()));
        // Once healthy, it stays so and answers.
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (seen[^1].Health, seen[^1].Api));
        Assert.DoesNotContain(seen.SkipWhile(x => x.Health != HttpStatusCode.OK), x => x.Health != HttpStatusCode.OK);
    }

    [Fact]
    public void A_model_that_fails_to_load_ends_the_server_with_an_error()
    {
        // A well-formed adapter whose shapes fit no layer of this model: the files pass the checks made before the
        // server starts, and llama.cpp refuses the adapter while loading.
        AdapterFixture.Write(_dir.File("misfit.gguf"), width: 7, rank: 4);
        using var s = new ServerProcess(_model, waitUntilHealthy: false, "--lora", "misfit=" + _dir.File("misfit.gguf"));
        Assert.True(s.Process.WaitForExit(TimeSpan.FromSeconds(60)), "the server kept running without its model");
        Assert.Equal(1, s.Process.ExitCode);
        s.Process.WaitForExit(); // the last output lines
        Assert.Contains("error: the model failed to load", s.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_requests_get_exactly_the_answers_they_get_alone()
    {
        using var s = new ServerProcess(_model, "--parallel", "8");
        string Body(int i) => $$"""{"messages":[{"role":"user","content":"Question {{i}}: sort {{i}} 3 1"}],"max_tokens":{{8 + i * 3}},"seed":{{100 + i}},"n":{{1 + i % 3}}}""";
        async Task<string[]> Texts(int i)
        {
            var (status, body) = await Post(s, "v1/chat/completions", Body(i));
            Assert.Equal(HttpStatusCode.OK, status);
            return body.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("message").GetProperty("content").GetString()!).ToArray();
        }
        var alone = new List<string[]>();
        for (int i = 0; i < 12; i++) alone.Add(await Texts(i));
        // All at once: 12 requests, 24 choices, more than the 8 sequences, so some wait in the queue.
        var together = await Task.WhenAll(Enumerable.Range(0, 12).Select(Texts));
        for (int i = 0; i < 12; i++) Assert.Equal(alone[i], together[i]);
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after()
    {
        using var s = new ServerProcess(_model, "--parallel", "1", "--max-queued", "0", "--ctx", "8192");
        using var cts = new CancellationTokenSource();
        using var longReq = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
        {
            Content = new StringContent("""{"prompt":"go","max_tokens":8000,"ignore_eos":true,"stream":true}""", Encoding.UTF8, "application/json"),
        };
        using var running = await s.Http.SendAsync(longReq, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        await s.WaitForMetric("merlinite_live_sequences", v => v >= 1, "the long request never ran");
        using var second = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = new StringContent("""{"prompt":"me too","max_tokens":2}""", Encoding.UTF8, "application/json") };
        var refused = await s.Http.SendAsync(second);
        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter is not null);
        Assert.Equal("rate_limit_exceeded", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("code").GetString());
        cts.Cancel();
    }

    [Fact]
    public async Task A_request_picks_a_named_adapter_by_model_name_and_the_base_stays_the_base()
    {
        File.WriteAllText(_dir.File("sft.jsonl"), """{"id":"a","prompt":"Reverse the list: 1 2 3","response":"3 2 1"}""" + "\n");
        var train = MerliniteBinary.Run("train", "-m", _model, "-i", _dir.File("sft.jsonl"), "-o", _dir.File("tuned.gguf"), "--epochs", "3", "--lr", "1e-2", "--device", "cpu", "-t", "1");
        Assert.True(train.ExitCode == 0, train.Stderr);
        using var s = new ServerProcess(_model, "--lora", "tuned=" + _dir.File("tuned.gguf"));
        var ids = JsonDocument.Parse(await s.Http.GetStringAsync("v1/models")).RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Equal(["srv", "tuned"], ids);

        async Task<double> Echo(string model)
        {
            var (status, body) = await Post(s, "v1/completions", $$"""{"model":"{{model}}","prompt":"Reverse the list: 1 2 3 and 3 2 1","max_tokens":0,"echo":true,"logprobs":0}""");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(model, body.GetProperty("model").GetString());
            return body.GetProperty("choices")[0].GetProperty("logprobs").GetProperty("token_logprobs").EnumerateArray().Skip(1).Sum(e => e.GetDouble());
        }
        double base1 = await Echo("srv"), tuned = await Echo("tuned"), base2 = await Echo("srv");
        Assert.NotEqual(base1, tuned, 3); // the adapter moves the sum by nats
        Assert.Equal(base1, base2, 9);    // the same request alone on the same context: the same float32 sums
        // Requests for both, at once: each is answered with its own adapter.
        var both = await Task.WhenAll(Echo("tuned"), Echo("srv"), Echo("tuned"), Echo("srv"));
        // Batched with others: other batch shapes, at most 2e-6 per token measured; 4 places.
        for (int i = 0; i < both.Length; i++) Assert.Equal(i % 2 == 0 ? tuned : base1, both[i], 4);
        var (missing, _) = await Post(s, "v1/completions", """{"model":"other","prompt":"x","max_tokens":1}""");
        Assert.Equal(HttpStatusCode.NotFound, missing);
    }
}
