using System.Runtime.InteropServices;
using System.Text;
using Merlinite.Llama.Native;

namespace Merlinite.Llama;

/// <summary>One message for <see cref="LlamaChat.ApplyTemplate"/>.</summary>
public readonly record struct LlamaChatMessage(string Role, string Content);

/// <summary><c>llama_chat_apply_template</c>: llama.cpp's built-in (non-Jinja) chat formats.</summary>
public static unsafe class LlamaChat
{
    /// <summary>Formats <paramref name="messages"/> with a built-in template. <paramref name="template"/> is a template
    /// name ("chatml", "llama3", ...) or a template text that llama.cpp recognizes; null = "chatml".
    /// <paramref name="addAssistant"/> ends with the assistant prefix. Throws when the template is not supported.</summary>
    public static string ApplyTemplate(string? template, IReadOnlyList<LlamaChatMessage> messages, bool addAssistant)
    {
        ArgumentNullException.ThrowIfNull(messages);
        LlamaRuntime.EnsureInitialized();
        var pins = new List<GCHandle>();
        try
        {
            byte* Pin(string s)
            {
                var h = GCHandle.Alloc(NativeStrings.ToUtf8Z(s), GCHandleType.Pinned);
                pins.Add(h);
                return (byte*)h.AddrOfPinnedObject();
            }
            var chat = new llama_chat_message[messages.Count];
            int total = 0;
            for (int i = 0; i < chat.Length; i++)
            {
                var (role, content) = messages[i];
                ArgumentNullException.ThrowIfNull(role);
                ArgumentNullException.ThrowIfNull(content);
                chat[i].role = Pin(role);
                chat[i].content = Pin(content);
                total += role.Length + content.Length;
            }
            byte* tmpl = template is null ? null : Pin(template);
            byte[] buf = new byte[Math.Max(256, total * 2 + 256)];
            int n;
            fixed (llama_chat_message* c = chat)
            {
                fixed (byte* b = buf) n = LlamaNative.llama_chat_apply_template(tmpl, c, (nuint)chat.Length, addAssistant, b, buf.Length);
                if (n > buf.Length)
                {
                    buf = new byte[n];
                    fixed (byte* b = buf) n = LlamaNative.llama_chat_apply_template(tmpl, c, (nuint)chat.Length, addAssistant, b, buf.Length);
                }
            }
            if (n < 0) throw new LlamaException($"chat template not supported by llama_chat_apply_template: {Shorten(template ?? "chatml")}");
            return Encoding.UTF8.GetString(buf, 0, n);
        }
        finally
        {
            foreach (var h in pins) h.Free();
        }
    }

    /// <summary>Names of llama.cpp's built-in chat templates.</summary>
    public static IReadOnlyList<string> BuiltinTemplates()
    {
        LlamaRuntime.EnsureInitialized();
        int n = LlamaNative.llama_chat_builtin_templates(null, 0);
        if (n <= 0) return [];
        var ptrs = new nint[n];
        fixed (nint* p = ptrs) n = LlamaNative.llama_chat_builtin_templates((byte**)p, (nuint)ptrs.Length);
        return ptrs.Take(n).Select(p => Marshal.PtrToStringUTF8(p) ?? "").ToArray();
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
