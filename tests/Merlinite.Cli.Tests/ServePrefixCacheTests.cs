using System.Net;
using System.Text.Json;

namespace Merlinite.Cli.Tests;

/// <summary>The prompt-prefix cache of `merlinite serve`: a request that starts as an earlier one did (the system
/// prompt, a chat's history) decodes only what is new, and answers byte for byte as a server that decoded it all.</summary>
public sealed class ServePrefixCacheTests(ServeModel model) : IClassFixture<ServeModel>
{
    private static string Ask(string user) => JsonSerializer.Serialize(new
    {
        messages = new object[]
        {
            new { role = "system", content = "You are a careful assistant. Answer with the digits only, in order." },
            new { role = "user", content = user },
        },
        temperature = 1.0, seed = 3, max_tokens = 12, logprobs = true, top_logprobs = 2,
    });

    private static async Task<JsonElement> Choice(ServerProcess server, string user)
    {
        var (status, body, _) = await server.Post("v1/chat/completions", Ask(user));
        Assert.Equal(HttpStatusCode.OK, status);
        return body.GetProperty("choices")[0];
    }

    [Fact]
    public async Task A_prompt_that_starts_as_an_earlier_one_reuses_its_prefix_and_answers_as_a_fresh_server_does()
    {
        string warmAnswer;
        using (var warm = new ServerProcess(model.Path, "--parallel", "2"))
        {
            await Choice(warm, "Sort: 3 1 2");
            long before = await warm.Metric("merlinite_prompt_tokens_cached_total");
            warmAnswer = (await Choice(warm, "Reverse: 4 5 6")).ToString();
            // At least the template's system turn was reused: Merlinite's markers and the system text.
            Assert.True(await warm.Metric("merlinite_prompt_tokens_cached_total") - before >= 10);
        }
        using var cold = new ServerProcess(model.Path, "--parallel", "2");
        string coldAnswer = (await Choice(cold, "Reverse: 4 5 6")).ToString();
        Assert.Equal(0, await cold.Metric("merlinite_prompt_tokens_cached_total"));
        // Text, token log-probs and their top alternatives: the cached keys and values are the ones decoding gives.
        Assert.Equal(coldAnswer, warmAnswer);
    }
}
