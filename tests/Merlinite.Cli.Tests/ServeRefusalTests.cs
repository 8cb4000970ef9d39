using System.Net;
using System.Text;
using System.Text.Json;

namespace Merlinite.Cli.Tests;

/// <summary>`merlinite serve` refusing what it cannot do: each refusal in OpenAI's error shape, naming the field and
/// logged with its reason, and a busy port in one line.</summary>
public sealed class ServeRefusalTests : IClassFixture<ServeModel>, IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _model;

    public ServeRefusalTests(ServeModel model) => _model = model.Path;

    public void Dispose() => _dir.Dispose();

    private static JsonElement Error(HttpStatusCode expected, (HttpStatusCode Status, JsonElement Body) answer)
    {
        Assert.Equal(expected, answer.Status);
        var error = answer.Body.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        return error;
    }

    private static async Task<(HttpStatusCode, JsonElement)> Post(ServerProcess s, string path, byte[] body)
    {
        var (status, json, _) = await s.Post(path, body);
        return (status, json);
    }

    private static async Task<(HttpStatusCode, JsonElement)> Get(ServerProcess s, string path)
    {
        using var response = await s.Http.GetAsync(path);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return (response.StatusCode, body);
    }

    [Fact]
    public async Task Strings_that_are_not_text_and_requests_beyond_the_server_are_400s_that_name_the_field()
    {
        // 4 sequences and no queue: 4 prompts of one request are the most this server ever takes at once.
        using var s = new ServerProcess(_model, "--parallel", "4", "--max-queued", "0");
        byte[] notUtf8 = [.. "{\"messages\":[{\"role\":\"user\",\"content\":\"a"u8, 0xFF, .. "b\"}]}"u8];
        var error = Error(HttpStatusCode.BadRequest, await Post(s, "v1/chat/completions", notUtf8));
        Assert.Equal("messages[0].content", error.GetProperty("param").GetString());
        byte[] loneSurrogate = Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":"a\ud800b"}]}""");
        error = Error(HttpStatusCode.BadRequest, await Post(s, "v1/chat/completions", loneSurrogate));
        Assert.Equal("messages[0].content", error.GetProperty("param").GetString());

        error = Error(HttpStatusCode.BadRequest, await Post(s, "v1/chat/completions",
            """{"messages":[{"role":"user","content":"hi"}],"n":100}"""u8.ToArray()));
        Assert.Equal("n", error.GetProperty("param").GetString());
        Assert.Contains("4 sequences", error.GetProperty("message").GetString());

        // Never admitted, however long it waits: a 400 saying why, not a 429 asking to retry.
        error = Error(HttpStatusCode.BadRequest, await Post(s, "v1/completions",
            """{"prompt":["a","b","c","d","e"],"max_tokens":2}"""u8.ToArray()));
        Assert.Equal("prompt", error.GetProperty("param").GetString());
        var (four, _) = await Post(s, "v1/completions", """{"prompt":["a","b","c","d"],"max_tokens":2}"""u8.ToArray());
        Assert.Equal(HttpStatusCode.OK, four);

        // Routing's own refusals have the same shape.
        error = Error(HttpStatusCode.MethodNotAllowed, await Get(s, "v1/chat/completions"));
        Assert.Contains("POST", error.GetProperty("message").GetString());
        error = Error(HttpStatusCode.NotFound, await Get(s, "v1/nothing-here"));
        Assert.Contains("/v1/nothing-here", error.GetProperty("message").GetString());

        var (ok, reply) = await Post(s, "v1/completions", """{"prompt":"hi","max_tokens":3}"""u8.ToArray());
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal(3, reply.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(0, s.Stop());

        // Each refusal is one log line that says why.
        var lines = s.Log.Split('\n');
        const string chat400 = "POST /v1/chat/completions 400 0 tokens";
        Assert.Equal(2, lines.Count(l => l.Contains(chat400) && l.Contains("not valid text")));
        Assert.Single(lines, l => l.Contains(chat400) && l.Contains("n = 100 is more than"));
        Assert.Single(lines, l => l.Contains("POST /v1/completions 400 0 tokens") && l.Contains("5 prompts"));
        Assert.Single(lines, l => l.Contains("GET /v1/chat/completions 405") && l.Contains("takes POST"));
        Assert.DoesNotContain("Exception", s.Log);
    }

    [Fact]
    public void A_busy_port_is_one_line()
    {
        using var s = new ServerProcess(_model);
        // The host's own log of the failure (a stack trace) was written by the logger's thread, racing the exit: it
        // showed about one time in ten, so the start is tried several times.
        for (int i = 0; i < 8; i++)
        {
            var busy = MerliniteBinary.Run("serve", "-m", _model, "--port",
                s.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "1");
            Assert.Equal(2, busy.ExitCode);
            string output = (busy.Stdout + busy.Stderr).Trim();
            Assert.Single(output.Split('\n'));
            Assert.Contains("--port", output);
            Assert.Contains("address already in use", output);
        }
    }
}
