using System.Text;
using Merlinite.Cli.Infrastructure;
using Merlinite.Cli.Terminal;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Generation;

namespace Merlinite.Cli.Commands;

/// <summary>
/// The interactive chat: a line editor with history, replies streamed to stdout, Ctrl+C stopping a reply (not the
/// session), and slash commands for the conversation itself.
/// </summary>
public sealed class ChatRepl(ChatSession session)
{
    private const string Help = """
        Enter sends. Alt+Enter or a trailing \ starts a new line; ↑/↓ recall earlier messages that start with what
        is typed; Ctrl+C stops a reply; Ctrl+D or /exit quits.
          /help          this list
          /system [TEXT] show the system prompt, or set it (the conversation goes on); /system - removes it
          /reset         forget the conversation
          /save FILE     write the conversation as JSONL ({"messages": [...]}, as sample and score read)
          /load FILE     continue a saved conversation
          /stats         messages, context used, the last reply's speed
          /exit          quit (also /quit)
        A message that starts with / is sent as typed when it starts with //.
        """;

    private readonly TextWriter _ui = Console.Error;

    public int Run()
    {
        var editor = new LineEditor(LineHistory.Open(LineHistory.DefaultPath()), _ui);
        _ui.WriteLine("merlinite chat — /help for commands, Ctrl+C stops a reply, Ctrl+D quits.");
        using var stdout = Console.OpenStandardOutput();
        bool interruptedEmpty = false;
        while (true)
        {
            var (outcome, text) = editor.Read("> ", ". ");
            if (outcome == ReadOutcome.EndOfInput) break;
            if (outcome == ReadOutcome.Interrupted)
            {
                // Ctrl+C twice on an empty line quits, as in Python's REPL; once just clears the line.
                if (text.Length == 0 && interruptedEmpty) break;
                if (text.Length == 0) _ui.WriteLine("(Ctrl+C again, Ctrl+D or /exit to quit)");
                interruptedEmpty = text.Length == 0;
                continue;
            }
            interruptedEmpty = false;
            if (string.IsNullOrWhiteSpace(text)) continue;
            editor.History.Add(text);
            if (text.StartsWith('/') && !text.StartsWith("//", StringComparison.Ordinal))
            {
                if (!Command(text.Trim())) break;
                continue;
            }
            Reply(text.StartsWith("//", StringComparison.Ordinal) ? text[1..] : text, stdout);
        }
        return ExitCodes.Ok;
    }

    private void Reply(string message, Stream stdout)
    {
        using var stop = new CancellationTokenSource();
        GenerationResult result;
        using (CliApp.RouteInterrupts(stop.Cancel))
        {
            try { result = session.Reply(message, chunk => Write(stdout, chunk), stop.Token); }
            catch (ContextOverflowException e) { _ui.WriteLine($"error: {e.Message}"); return; }
        }
        Write(stdout, "\n");
        if (result.FinishReason == FinishReason.Cancelled) _ui.WriteLine($"(stopped after {Engine.Plural.Of(result.CompletionTokens, "token")})");
        else if (result.FinishReason is FinishReason.Length) _ui.WriteLine($"(cut at the {result.CompletionTokens}-token limit; --max-tokens sets it)");
    }

    /// <summary>Runs a slash command; false when the session should end.</summary>
    private bool Command(string line)
    {
        int space = line.IndexOf(' ');
        string name = space < 0 ? line : line[..space], arg = space < 0 ? "" : line[(space + 1)..].Trim();
        try
        {
            switch (name)
            {
                case "/exit" or "/quit":
                    return false;
                case "/help":
                    _ui.WriteLine(Help);
                    break;
                case "/reset":
                    session.Reset();
                    _ui.WriteLine("(conversation cleared)");
                    break;
                case "/system" when arg.Length == 0:
                    _ui.WriteLine(session.SystemPrompt is { } s ? $"system: {s}" : "(no system prompt)");
                    break;
                case "/system":
                    session.SetSystemPrompt(arg == "-" ? null : arg);
                    _ui.WriteLine(arg == "-" ? "(system prompt removed)" : "(system prompt set)");
                    break;
                case "/save" when arg.Length > 0:
                    ConversationFile.Write(arg, "chat", session.History);
                    _ui.WriteLine($"(saved {Engine.Plural.Of(session.History.Count, "message")} to {Path.GetFullPath(arg)})");
                    break;
                case "/load" when arg.Length > 0:
                    session.Load(ConversationFile.Read(arg));
                    _ui.WriteLine($"(loaded {Engine.Plural.Of(session.History.Count, "message")} from {Path.GetFullPath(arg)})");
                    foreach (var m in session.History.Where(m => m.Role != ChatRole.System))
                        _ui.WriteLine($"{(m.Role == ChatRole.User ? "> " : "")}{TerminalText.Escape(m.Content)}");
                    break;
                case "/save" or "/load":
                    _ui.WriteLine($"{name} needs a file name: {name} FILE.jsonl");
                    break;
                case "/stats":
                    var (used, size) = session.Context;
                    var last = session.LastResult;
                    _ui.WriteLine($"{Engine.Plural.Of(session.History.Count, "message")}, {used} of {size} context tokens in use" +
                                  (last is null ? "" : $"; last reply: {Engine.Plural.Of(last.CompletionTokens, "token")} in {last.Elapsed.TotalSeconds:F1} s ({last.TokensPerSecond:F1} tokens/s)"));
                    break;
                default:
                    _ui.WriteLine($"unknown command {name}; /help lists them (start a message with // to send it as typed)");
                    break;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InputFormatException or FormatException or FileNotFoundException)
        {
            _ui.WriteLine($"error: {e.Message}");
        }
        return true;
    }

    // Raw UTF-8 writes so streamed pieces appear immediately and byte-exact; on a terminal, control characters a model
    // writes (form feed, carriage return, ESC sequences) would move the cursor or recolour the screen, so they are
    // shown escaped (\x0c); newlines and tabs are kept.
    public static void Write(Stream stdout, string text)
    {
        if (!Console.IsOutputRedirected) text = TerminalText.Escape(text);
        stdout.Write(Encoding.UTF8.GetBytes(text));
        stdout.Flush();
    }
}
