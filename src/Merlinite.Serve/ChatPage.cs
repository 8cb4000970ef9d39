using Microsoft.AspNetCore.Http;

namespace Merlinite.Serve;

/// <summary>The chat page at /: one self-contained HTML file compiled into the binary (no CDN: machines may be offline).</summary>
internal static class ChatPage
{
    private static readonly Lazy<byte[]> Html = new(() =>
    {
        using var stream = typeof(ChatPage).Assembly.GetManifestResourceStream("ChatPage.html")!;
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    });

    public static Task Write(HttpContext ctx)
    {
        ctx.Response.ContentType = "text/html; charset=utf-8";
        return ctx.Response.Body.WriteAsync(Html.Value).AsTask();
    }
}
