using System.Text.Json;

namespace Merlinite.Cli.Tests;

/// <summary>`merlinite chat` in a real terminal (tmux): line editing, history, multi-line input, Ctrl+C stopping a reply
/// while the session goes on, /save and /load, and Ctrl+D leaving a clean line.</summary>
public sealed class ChatReplTerminalTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_context_beyond_the_trained_one_is_noted_and_other_templates_chat_too()
    {
        string model = _dir.File("plain.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "11", "--out", model).ExitCode);
        foreach (var template in new[] { "merlinite", "raw", "model" })
        {
            var r = MerliniteBinary.Run("chat", model, "-p", "hi", "--max-tokens", "4", "-t", "1", "--template", template);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.DoesNotContain("above the", r.Stderr);
        }
        var wide = MerliniteBinary.Run("chat", model, "-p", "hi", "--max-tokens", "4", "-t", "1", "--ctx", "65536");
        Assert.True(wide.ExitCode == 0, wide.Stderr);
        Assert.Matches(@"note: --ctx 65536 is above the \d+ tokens the model was trained with", wide.Stderr);
    }

    [Fact]
    public void Editing_history_ctrl_c_save_load_and_ctrl_d_work_in_a_terminal()
    {
        string model = _dir.File("chat.gguf"), saved = _dir.File("conversation.jsonl"), history = _dir.File("history");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "11", "--out", model).ExitCode);
        // Replies that never end by themselves (no end token, 16,000 tokens): each one is stopped with Ctrl+C.
        using var term = new TmuxTerminal($"env MERLINITE_HISTORY='{history}' '{MerliniteBinary.Path}' chat '{model}' -t 1 --ctx 16384 --max-tokens 16000 --ignore-eos");
        term.WaitFor("/help for commands");
        Assert.Contains("chat.gguf: 16384-token context (trained with ", term.Screen());

        // Editing: "abc", two steps left, "X" → "aXbc".
        term.Type("abc");
        term.Keys("Left", "Left");
        term.Type("X");
        term.Keys("Enter");
        StopReply(term, 1, "> aXbc");

        // History: ↑ recalls "aXbc"; End and "!" make a new message.
        term.Keys("Up", "End");
        term.Type("!");
        term.Keys("Enter");
        StopReply(term, 2, "> aXbc!");

        // Multi-line: a trailing backslash continues on the next line.
        term.Type("first\\");
        term.Keys("Enter");
        term.Type("second");
        term.Keys("Enter");
        StopReply(term, 3, ". second");

        term.Type($"/save {saved}");
        term.Keys("Enter");
        term.WaitFor("(saved 7 messages");
        using (var doc = JsonDocument.Parse(File.ReadAllText(saved)))
        {
            var messages = doc.RootElement.GetProperty("messages").EnumerateArray().ToList();
            Assert.Equal(["system", "user", "assistant", "user", "assistant", "user", "assistant"], messages.Select(m => m.GetProperty("role").GetString()));
            Assert.Equal(["aXbc", "aXbc!", "first\nsecond"], messages.Where(m => m.GetProperty("role").GetString() == "user").Select(m => m.GetProperty("content").GetString()));
            Assert.All(messages, m => Assert.False(string.IsNullOrEmpty(m.GetProperty("content").GetString())));
        }

        term.Type("/reset");
        term.Keys("Enter");
        term.WaitFor("(conversation cleared)");
        term.Type("/stats");
        term.Keys("Enter");
        term.WaitFor("1 message, ");
        term.Type($"/load {saved}");
        term.Keys("Enter");
        term.WaitFor("(loaded 7 messages");
        term.Type("/stats");
        term.Keys("Enter");
        term.WaitFor("7 messages, ");

        // A model's control characters (here in a loaded reply) are shown escaped, not sent to the terminal: ESC [31m
        // would turn the rest red, and a form feed would clear the screen.
        string odd = _dir.File("odd.jsonl");
        File.WriteAllText(odd, JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = "hi" }, new { role = "assistant", content = "\u001b[31mred\f done" } },
        }));
        term.Type($"/load {odd}");
        term.Keys("Enter");
        term.WaitFor("\\x1b[31mred\\x0c done");

        // Ctrl+C at an empty prompt only says how to quit; Ctrl+D quits, and the shell's next line starts clean.
        term.Keys("C-c");
        term.WaitFor("(Ctrl+C again, Ctrl+D or /exit to quit)");
        term.Keys("C-d");
        string screen = term.WaitFor("EXIT=");
        Assert.Contains("\nEXIT=0\n", screen.Replace("\r", ""), StringComparison.Ordinal);

        // The history file kept the messages (and commands) in order, multi-line ones whole.
        var entries = File.ReadAllLines(history).Select(l => JsonSerializer.Deserialize<string>(l)).ToList();
        Assert.Equal(["aXbc", "aXbc!", "first\nsecond"], entries.Take(3));
        Assert.Contains($"/save {saved}", entries);
    }

    /// <summary>Waits until the reply is streaming, presses Ctrl+C, and waits for the session to say it stopped.</summary>
    private static void StopReply(TmuxTerminal term, int nth, string lastLineOfMessage)
    {
        // Streaming: the reply's text shows below the message's last line.
        term.WaitFor(s => Count(s, "(stopped after") == nth - 1 && s.LastIndexOf(lastLineOfMessage + "\n", StringComparison.Ordinal) is int at && at >= 0
            && s[(at + lastLineOfMessage.Length)..].Trim().Length > 0, $"reply {nth} streaming");
        term.Keys("C-c");
        term.WaitFor(s => Count(s, "(stopped after") == nth && s.TrimEnd().EndsWith('>'), $"reply {nth} stopped and a new prompt");
    }

    private static int Count(string s, string part)
    {
        int n = 0;
        for (int i = s.IndexOf(part, StringComparison.Ordinal); i >= 0; i = s.IndexOf(part, i + part.Length, StringComparison.Ordinal)) n++;
        return n;
    }
}
