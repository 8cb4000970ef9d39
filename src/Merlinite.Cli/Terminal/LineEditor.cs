using System.Text;

namespace Merlinite.Cli.Terminal;

/// <summary>How a <see cref="LineEditor.Read"/> ended.</summary>
public enum ReadOutcome
{
    /// <summary>Enter: the text is the line.</summary>
    Entered,
    /// <summary>Ctrl+C: the line was abandoned (the text is what had been typed).</summary>
    Interrupted,
    /// <summary>Ctrl+D on an empty line: no more input.</summary>
    EndOfInput,
}

/// <summary>
/// A small line editor for a terminal: cursor keys, Home/End, word and line deletion, history recall by prefix (↑/↓),
/// multi-line input (Alt+Enter, or a trailing backslash before Enter). RadLine, the served package for this, is built
/// against an older Spectre.Console than ours and does not compile beside it (DEVELOPERS.md).
/// </summary>
/// <remarks>
/// The text is redrawn whole after every key: move to the first row drawn last time, clear to the end of the screen,
/// write prompt and text, then put the cursor where it belongs. Rows are computed for the terminal's width, including
/// its "pending wrap" at the last column, so long and multi-line input stays in place.
/// </remarks>
public sealed class LineEditor(LineHistory history, TextWriter output)
{
    private readonly StringBuilder _text = new();
    private int _cursor;
    private int _cursorRow; // the cursor's row, counted from the prompt's first row, as drawn last
    private string _prompt = "", _continuation = "";

    public LineHistory History => history;

    public (ReadOutcome Outcome, string Text) Read(string prompt, string continuation)
    {
        _prompt = prompt;
        _continuation = continuation;
        _text.Clear();
        _cursor = 0;
        _cursorRow = 0;
        var recall = new HistoryRecall(history);
        bool treatControlC = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true; // Ctrl+C arrives as a key here, not as a signal that ends the process
        try
        {
            Draw();
            while (true)
            {
                var (key, ctrl, alt, ch) = Normalize(Console.ReadKey(intercept: true));
                switch (key)
                {
                    case ConsoleKey.Enter when alt || ctrl: // Alt+Enter, or Ctrl+J (a line feed)
                        Insert("\n");
                        break;
                    case ConsoleKey.Enter when _cursor == _text.Length && _text.Length > 0 && _text[^1] == '\\':
                        _text.Length--; // a trailing backslash continues the message on a new line
                        _cursor--;
                        Insert("\n");
                        break;
                    case ConsoleKey.Enter:
                        return Finish(ReadOutcome.Entered);
                    case ConsoleKey.C when ctrl:
                        output.Write("^C");
                        return Finish(ReadOutcome.Interrupted);
                    case ConsoleKey.D when ctrl:
                        if (_text.Length == 0) return Finish(ReadOutcome.EndOfInput);
                        Delete(_cursor, 1);
                        break;
                    case ConsoleKey.LeftArrow: _cursor = ctrl ? WordStart() : Math.Max(0, _cursor - 1); break;
                    case ConsoleKey.RightArrow: _cursor = ctrl ? WordEnd() : Math.Min(_text.Length, _cursor + 1); break;
                    case ConsoleKey.Home: _cursor = LineStart(); break;
                    case ConsoleKey.End: _cursor = LineEnd(); break;
                    case ConsoleKey.Backspace: if (_cursor > 0) Delete(_cursor - 1, 1); break;
                    case ConsoleKey.Delete: Delete(_cursor, 1); break;
                    case ConsoleKey.U when ctrl: Delete(LineStart(), _cursor - LineStart()); break;
                    case ConsoleKey.K when ctrl: Delete(_cursor, LineEnd() - _cursor); break;
                    case ConsoleKey.W when ctrl: Delete(WordStart(), _cursor - WordStart()); break;
                    case ConsoleKey.L when ctrl:
                        output.Write("\x1b[H\x1b[2J");
                        _cursorRow = 0;
                        break;
                    case ConsoleKey.UpArrow:
                        if (recall.Older(_text.ToString()) is { } older) Replace(older);
                        break;
                    case ConsoleKey.DownArrow:
                        if (recall.Newer() is { } newer) Replace(newer);
                        break;
                    case ConsoleKey.Tab: Insert("    "); break;
                    default:
                        if (ch < ' ' || ctrl) continue; // a key this editor does not use: nothing changed
                        Insert(ch.ToString());
                        break;
                }
                if (key is not (ConsoleKey.UpArrow or ConsoleKey.DownArrow)) recall.Stop();
                Draw();
            }
        }
        finally
        {
            Console.TreatControlCAsInput = treatControlC;
        }
    }

    /// <summary>Emacs' control keys as the keys they stand for (Ctrl+A is Home, Ctrl+P is ↑, …).</summary>
    private static (ConsoleKey Key, bool Ctrl, bool Alt, char Char) Normalize(ConsoleKeyInfo k)
    {
        bool ctrl = (k.Modifiers & ConsoleModifiers.Control) != 0, alt = (k.Modifiers & ConsoleModifiers.Alt) != 0;
        var key = !ctrl ? k.Key : k.Key switch
        {
            ConsoleKey.A => ConsoleKey.Home,
            ConsoleKey.E => ConsoleKey.End,
            ConsoleKey.B => ConsoleKey.LeftArrow,
            ConsoleKey.F => ConsoleKey.RightArrow,
            ConsoleKey.P => ConsoleKey.UpArrow,
            ConsoleKey.N => ConsoleKey.DownArrow,
            ConsoleKey.H => ConsoleKey.Backspace,
            _ => k.Key,
        };
        if (key != k.Key) ctrl = false; // Ctrl+B is a plain ←, not Ctrl+← (a word)
        return (key, ctrl, alt, k.KeyChar);
    }

    private (ReadOutcome, string) Finish(ReadOutcome end)
    {
        _cursor = _text.Length;
        if (end != ReadOutcome.Interrupted) Draw();
        output.Write("\r\n");
        output.Flush();
        return (end, _text.ToString());
    }

    private void Insert(string s)
    {
        _text.Insert(_cursor, s);
        _cursor += s.Length;
    }

    private void Delete(int at, int count)
    {
        count = Math.Min(count, _text.Length - at);
        if (at < 0 || count <= 0) return;
        _text.Remove(at, count);
        if (_cursor > at) _cursor = Math.Max(at, _cursor - count);
    }

    private void Replace(string s)
    {
        _text.Clear().Append(s);
        _cursor = s.Length;
    }

    private int LineStart()
    {
        int i = _cursor;
        while (i > 0 && _text[i - 1] != '\n') i--;
        return i;
    }

    private int LineEnd()
    {
        int i = _cursor;
        while (i < _text.Length && _text[i] != '\n') i++;
        return i;
    }

    private int WordStart()
    {
        int i = _cursor;
        while (i > 0 && char.IsWhiteSpace(_text[i - 1])) i--;
        while (i > 0 && !char.IsWhiteSpace(_text[i - 1])) i--;
        return i;
    }

    private int WordEnd()
    {
        int i = _cursor;
        while (i < _text.Length && char.IsWhiteSpace(_text[i])) i++;
        while (i < _text.Length && !char.IsWhiteSpace(_text[i])) i++;
        return i;
    }

    private void Draw()
    {
        int width = Width();
        var sb = new StringBuilder();
        if (_cursorRow > 0) sb.Append("\x1b[").Append(_cursorRow).Append('A');
        sb.Append("\r\x1b[J").Append(_prompt);

        // Walks prompt and text as the terminal places them: (row, col) of every position, with the pending wrap of a
        // full row (the cursor stays on the last column until the next character arrives).
        int row = 0, col = 0, cursorRow = 0, cursorCol = 0;
        bool pending = false;
        void Advance(int n)
        {
            for (int k = 0; k < n; k++)
            {
                if (pending) { row++; col = 0; pending = false; }
                col++;
                if (col == width) { col = width - 1; pending = true; }
            }
        }
        Advance(_prompt.Length);
        for (int i = 0; i <= _text.Length; i++)
        {
            if (i == _cursor)
            {
                bool wrapsHere = pending && i < _text.Length && _text[i] != '\n';
                (cursorRow, cursorCol) = wrapsHere ? (row + 1, 0) : (row, pending ? width - 1 : col);
            }
            if (i == _text.Length) break;
            char c = _text[i];
            if (c == '\n')
            {
                sb.Append("\r\n").Append(_continuation);
                row++; col = 0; pending = false;
                Advance(_continuation.Length);
            }
            else
            {
                sb.Append(c);
                Advance(1);
            }
        }
        if (pending && _cursor == _text.Length)
        {
            // The cursor belongs at the start of the next row, which the terminal makes only when asked.
            sb.Append("\r\n");
            row++; col = 0;
            (cursorRow, cursorCol) = (row, 0);
        }
        if (row > cursorRow) sb.Append("\x1b[").Append(row - cursorRow).Append('A');
        sb.Append("\x1b[").Append(cursorCol + 1).Append('G');
        _cursorRow = cursorRow;
        output.Write(sb.ToString());
        output.Flush();
    }

    private static int Width()
    {
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : 80; }
        catch (IOException) { return 80; }
    }

    /// <summary>↑/↓ through the entries that start with what was typed before the first ↑ (prefix search).</summary>
    private sealed class HistoryRecall(LineHistory history)
    {
        private int _index = -1;
        private string _typed = "";

        public string? Older(string current)
        {
            if (_index < 0) { _typed = current; _index = history.Entries.Count; }
            for (int i = _index - 1; i >= 0; i--)
                if (history.Entries[i].StartsWith(_typed, StringComparison.Ordinal) && history.Entries[i] != current) { _index = i; return history.Entries[i]; }
            return null;
        }

        public string? Newer()
        {
            if (_index < 0) return null;
            for (int i = _index + 1; i < history.Entries.Count; i++)
                if (history.Entries[i].StartsWith(_typed, StringComparison.Ordinal)) { _index = i; return history.Entries[i]; }
            _index = history.Entries.Count;
            return _typed; // past the newest: back to what was being typed
        }

        public void Stop() => _index = -1;
    }
}
