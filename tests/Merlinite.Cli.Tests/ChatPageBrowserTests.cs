using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Merlinite.Cli.Tests;

/// <summary>The chat page at `/` in a real browser (headless chromium through Playwright): a refused key shows an error,
/// a message streams in, and Stop cancels the request on the server.</summary>
public sealed class ChatPageBrowserTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The browser to drive: MERLINITE_CHROMIUM, or the one Debian's `chromium` package installs (build.sh test
    /// installs it).</summary>
    internal static string Chromium()
    {
        string[] candidates = [Environment.GetEnvironmentVariable("MERLINITE_CHROMIUM") ?? "", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("no chromium for the chat page test: `apt-get install chromium` (./build.sh test does) or set MERLINITE_CHROMIUM");
    }

    [Fact]
    public async Task A_message_streams_in_and_stop_cancels_it_on_the_server()
    {
        string model = _dir.File("page.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "11", "--out", model).ExitCode);
        // One long answer (the eos never ends it), so the stop press lands while tokens are still coming.
        const int maxTokens = 16000;
        using var server = new ServerProcess(model, "--ctx", "16384", "--parallel", "1", "--max-tokens", maxTokens.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--ignore-eos", "--api-key", "page-key");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium(), Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"http://127.0.0.1:{server.Port}/");

        // Without the key the server refuses, and the page says why instead of showing an empty answer.
        await page.FillAsync("#input", "Reverse the list: 1 2 3");
        await page.PressAsync("#input", "Enter");
        var refused = page.Locator(".msg").Nth(1);
        await Expect(refused).ToHaveAttributeAsync("data-done", "true");
        await Expect(refused).ToHaveClassAsync("msg error");
        await Expect(refused).ToContainTextAsync("API key");

        await page.FillAsync("#key", "page-key");
        await page.PressAsync("#key", "Tab");
        await Expect(page.Locator("#model")).ToHaveTextAsync("page");
        await page.FillAsync("#system", "You are terse.");
        await page.FillAsync("#input", "Count the vowels in apple");
        await page.ClickAsync("#send");
        await Expect(page.Locator(".msg.user").Last).ToHaveTextAsync("Count the vowels in apple");
        var answer = page.Locator(".msg").Last;
        // Streamed: text shows while the request is still running (Stop still enabled, Send disabled).
        await Expect(answer).Not.ToBeEmptyAsync();
        await Expect(page.Locator("#stop")).ToBeEnabledAsync();
        await Expect(page.Locator("#send")).ToBeDisabledAsync();

        await page.ClickAsync("#stop");
        await Expect(answer).ToHaveAttributeAsync("data-done", "true");
        await Expect(answer).ToHaveClassAsync("msg assistant");
        await Expect(answer).Not.ToBeEmptyAsync();
        await Expect(page.Locator("#send")).ToBeEnabledAsync();
        await Expect(page.Locator("#stop")).ToBeDisabledAsync();

        // The server dropped the sequence at the abort: nothing live, and far fewer tokens than the answer would have had.
        await server.WaitForMetric("merlinite_live_sequences", v => v == 0, "the stopped request's sequence is still live");
        long generated = await server.Metric("merlinite_generated_tokens_total");
        Assert.InRange(generated, 1, maxTokens - 1);
        await Task.Delay(300);
        Assert.Equal(generated, await server.Metric("merlinite_generated_tokens_total"));
        Assert.Contains(" 499 ", server.Log, StringComparison.Ordinal);
    }
}

/// <summary>The chat page with `merlinite serve`'s defaults on the tiny world's instruct model: a long conversation
/// keeps going (the oldest turns make room), and a turn too long for the model shows an error and stays out of the
/// next.</summary>
[Collection("tiny world")]
public sealed partial class ChatPageConversationTests(TinyWorld world)
{
    [GeneratedRegex(@"a request may use (\d+) tokens")]
    private static partial Regex PerRequest();

    [Fact]
    public async Task Ten_turns_with_the_default_settings_and_a_refused_turn_leaves_the_next_one_working()
    {
        using var server = new ServerProcess(world.Dir.File("runs/tiny/world/instruct.gguf"));
        // What the start-up line says a request may use (the model's trained context).
        int limit = int.Parse(PerRequest().Match(server.Log).Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(
            new() { ExecutablePath = ChatPageBrowserTests.Chromium(), Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"http://127.0.0.1:{server.Port}/");

        async Task<ILocator> Say(string text)
        {
            await page.FillAsync("#input", text);
            await page.PressAsync("#input", "Enter");
            var answer = page.Locator(".msg").Last;
            await Expect(answer).ToHaveAttributeAsync("data-done", "true", new() { Timeout = 60_000 });
            return answer;
        }

        // Messages of the world's tasks, long enough that a few turns outgrow what a request may hold: the page must
        // leave out its oldest turns to go on.
        string[] tasks = ["Reverse the list", "Sort the list", "Count the digits in", "Add up"];
        for (int turn = 0; turn < 10; turn++)
        {
            string numbers = string.Join(" ", Enumerable.Range(turn, 60).Select(i => i * 7 % 10));
            var answer = await Say($"{tasks[turn % tasks.Length]}: {numbers}");
            await Expect(answer).ToHaveClassAsync("msg assistant");
        }
        Assert.Equal(20, await page.Locator(".msg").CountAsync());
        Assert.True(await page.Locator(".note").CountAsync() > 0,
            "ten long turns never outgrew the context:\n" + server.Log);
        Assert.DoesNotContain("/v1/chat/completions 400 ", server.Log, StringComparison.Ordinal);

        // Longer than a request may ever be: refused with the reason, and kept out of the conversation.
        string tooLong = "Sort the list: " + string.Join(" ", Enumerable.Range(0, limit).Select(i => i % 10));
        var refused = await Say(tooLong);
        await Expect(refused).ToHaveClassAsync("msg error");
        await Expect(refused).ToContainTextAsync($"{limit}");
        await Expect(page.Locator(".msg.user").Last).ToHaveClassAsync("msg user refused");
        Assert.False(await page.EvaluateAsync<bool>("text => history.some(m => m.content === text)", tooLong));

        var next = await Say("Reverse the list: 1 2 3");
        await Expect(next).ToHaveClassAsync("msg assistant");
        Assert.Single(server.Log.Split('\n'), l => l.Contains("/v1/chat/completions 400 ", StringComparison.Ordinal));
    }
}
