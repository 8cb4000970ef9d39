using Merlinite.Engine.Data;

namespace Merlinite.Engine.Chat;

/// <summary>
/// A conversation saved as one JSONL line, <c>{"id", "messages": [{"role", "content"}]}</c>: the layout the other
/// commands read (a prompt file for sample, a pair file for score when it ends with the assistant's reply).
/// </summary>
public static class ConversationFile
{
    public static void Write(string path, string id, IReadOnlyList<ChatMessage> messages)
    {
        string full = Path.GetFullPath(path);
        string line = JsonLines.Format(w =>
        {
            w.WriteString("id", id);
            PromptFile.WriteMessages(w, messages);
        });
        // Written beside and renamed, so an interrupted save never leaves half a file under the name.
        string tmp = full + ".tmp";
        File.WriteAllText(tmp, line + "\n");
        File.Move(tmp, full, overwrite: true);
    }

    public static IReadOnlyList<ChatMessage> Read(string path)
    {
        var conversations = JsonLines.Read(path, (root, where, _) =>
            root.TryGetProperty("messages", out var msgs) ? JsonLines.Messages(msgs, where)
                : throw new InputFormatException($"{where}: expected \"messages\": [{{\"role\", \"content\"}}, …]"));
        if (conversations.Count > 1)
            throw new InputFormatException($"{Path.GetFullPath(path)}: holds {conversations.Count} conversations; give a file with one");
        return conversations[0];
    }
}
