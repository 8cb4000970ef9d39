using System.Text.Json;

namespace Merlinite.Serve;

/// <summary>An error in OpenAI's shape: {"error": {"message", "type", "param", "code"}} with its HTTP status.</summary>
public sealed class ApiError(int status, string message, string type, string? param = null, string? code = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    public static ApiError Invalid(string message, string? param = null, string? code = null) => new(400, message, "invalid_request_error", param, code);

    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", Message);
        w.WriteString("type", Type);
        if (Param is null) w.WriteNull("param"); else w.WriteString("param", Param);
        if (Code is null) w.WriteNull("code"); else w.WriteString("code", Code);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
