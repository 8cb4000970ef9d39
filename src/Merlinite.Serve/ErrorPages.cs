using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Merlinite.Serve;

/// <summary>Bodies for the errors routing answers on its own (an unknown path, a method the path does not take), which
/// ASP.NET Core leaves empty: OpenAI's error shape, as every other error of the server has.</summary>
internal static class ErrorPages
{
    public static Task Write(StatusCodeContext status)
    {
        var ctx = status.HttpContext;
        int code = ctx.Response.StatusCode;
        string method = ctx.Request.Method, path = ctx.Request.Path.Value ?? "/";
        var error = code switch
        {
            // OpenAI's own wording for a path it does not serve.
            404 => new ApiError(404, $"Invalid URL ({method} {path})", "invalid_request_error"),
            405 => new ApiError(405, $"{path} does not take {method} (it takes {ctx.Response.Headers.Allow})",
                "invalid_request_error"),
            _ => new ApiError(code, ReasonPhrases.GetReasonPhrase(code),
                code >= 500 ? "server_error" : "invalid_request_error"),
        };
        ctx.Items["error"] = error.Message;
        return ServeHost.WriteJson(ctx, error.Write, wrap: false);
    }
}
