using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Merlinite.Cli.Tests;

/// <summary>`merlinite serve` without --ctx: each request gets the model's trained context, the start-up line says how
/// many tokens that is, an answer without max_tokens runs to the end of its sequence, and "truncation": "auto" drops
/// the oldest turns of a chat that no longer fits.</summary>
public sealed partial class ServeDefaultsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Model(int trainedContext)
    {
        string path = _dir.File($"ctx{trainedContext}.gguf");
        var synth = MerliniteBinary.Run("synth", "--seed", "11", "--dims", $"n_ctx={trainedContext}", "--out", path);
        Assert.True(synth.ExitCode == 0, synth.Stderr);
        return path;
    }

    [GeneratedRegex(@"a request may use (\d+) tokens")]
    private static partial Regex PerRequest();

    /// <summary>What the start-up line says a request may use.</summary>
    private static int TokensPerRequest(ServerProcess s) =>
        int.Parse(PerRequest().Match(s.Log).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A prompt of exactly <paramref name="count"/> token ids.</summary>
    private static string Ids(int count) =>
        "[" + string.Join(",", Enumerable.Range(0, count).Select(i => 10 + i * 7 % 200)) + "]";

    [Fact]
    public async Task Each_request_gets_the_models_trained_context_and_the_start_up_line_says_so()
    {
        // 4096 trained positions: 8 sequences of them (32,768 tokens) are far more than the old default's 8,192 cells,
        // and their F32 KV cache (16 MiB for this model) fits any test machine's memory.
        const int trained = 4096;
        using var s = new ServerProcess(Model(trained));
        Assert.Equal(trained, TokensPerRequest(s));
        Assert.Contains("the model's trained context", s.Log);

        // 3,000 prompt tokens and the default max_tokens: refused when each sequence held 8192 / 8 = 1024.
        var (status, body, _) = await s.Post("v1/completions",
            $$"""{"prompt":{{Ids(3000)}},"max_tokens":512,"ignore_eos":true}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(512, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Response_text_is_written_as_it_is()
    {
        // JSON needs no escape for ' + < > &; the default encoder would write \u0027 \u002B \u003C (README: text is
        // written as it is, in files and responses).
        using var s = new ServerProcess(Model(1024));
        var http = await s.Http.PostAsync("v1/completions", new StringContent(
            """{"prompt":"it's 2+2 <b> & é","max_tokens":1,"echo":true}""", Encoding.UTF8, "application/json"));
        string raw = await http.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, http.StatusCode);
        Assert.Contains("it's 2+2 <b> & é", raw);
    }

    [Fact]
    public async Task An_answer_without_max_tokens_runs_to_the_end_of_its_sequence()
    {
        using var s = new ServerProcess(Model(1024));
        int limit = TokensPerRequest(s);
        // A prompt that leaves less than the default max_tokens (512) of its sequence.
        int prompt = limit - 300;
        var (status, body, headers) = await s.Post("v1/completions",
            $$"""{"prompt":{{Ids(prompt)}},"ignore_eos":true}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(limit - prompt, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        // One that leaves nothing is refused, as a prompt too long for the context.
        (status, body, headers) = await s.Post("v1/completions", $$"""{"prompt":{{Ids(limit)}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("context_length_exceeded", body.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Truncation_auto_drops_the_oldest_turns_of_a_chat_that_does_not_fit()
    {
        using var s = new ServerProcess(Model(1024));
        int limit = TokensPerRequest(s);
        string words = string.Join(" ", Enumerable.Repeat("sort the numbers 3 1 2 and reverse them", 12));
        var turns = Enumerable.Range(0, 8).SelectMany(i => new[]
        {
            $$"""{"role":"user","content":"{{i}}: {{words}}"}""", $$"""{"role":"assistant","content":"{{words}}"}""",
        }).Append("""{"role":"user","content":"and now?"}""");
        string messages = "[" + string.Join(",", turns) + "]";

        var (status, body, headers) = await s.Post("v1/chat/completions", $$"""{"messages":{{messages}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("context_length_exceeded", body.GetProperty("error").GetProperty("code").GetString());

        (status, body, headers) = await s.Post("v1/chat/completions",
            $$"""{"messages":{{messages}},"truncation":"auto"}""");
        Assert.Equal(HttpStatusCode.OK, status);
        int dropped = int.Parse(headers.GetValues("X-Merlinite-Dropped-Messages").Single(),
            System.Globalization.CultureInfo.InvariantCulture);
        // Whole turns go (a user message and its answer), never the last question.
        Assert.InRange(dropped, 2, 16);
        Assert.Equal(0, dropped % 2);
        // `merlinite chat`'s rule: the kept history leaves room for max_tokens (512 by default), at most half the
        // context.
        int kept = body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32();
        Assert.InRange(kept, 1, limit - Math.Min(512, limit / 2));

        // A last message that cannot fit even alone is refused all the same.
        string huge = string.Join(" ", Enumerable.Repeat(words, 20));
        (status, body, headers) = await s.Post("v1/chat/completions",
            $$"""{"messages":[{"role":"user","content":"{{huge}}"}],"truncation":"auto"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("context_length_exceeded", body.GetProperty("error").GetProperty("code").GetString());
    }
}
