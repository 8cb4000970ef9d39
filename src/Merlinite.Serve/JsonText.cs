using System.Text.Json;

namespace Merlinite.Serve;

/// <summary>
/// JsonDocument.Parse accepts strings that are not text: bytes that are not UTF-8, or an escaped surrogate without
/// its pair ("\ud800"). Reading one throws InvalidOperationException, which would escape as a 500; a body is checked
/// here first, so such a string is a 400 that names where it is.
/// </summary>
internal static class JsonText
{
    /// <summary>Throws a 400 naming the first key or string of <paramref name="root"/> that is not text.</summary>
    public static void Check(JsonElement root)
    {
        if (FirstInvalid(root, "") is { } at)
            throw ApiError.Invalid($"{(at.Length == 0 ? "the body" : at)} is not valid text: invalid UTF-8 bytes or " +
                "an unpaired surrogate escape such as \\ud800", at.Length == 0 ? null : at);
    }

    private static string? FirstInvalid(JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return IsText(() => e.GetString()) ? null : path;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in e.EnumerateArray())
                    if (FirstInvalid(item, $"{path}[{i++}]") is { } bad) return bad;
                return null;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    string name = "";
                    if (!IsText(() => name = p.Name)) return path;
                    if (FirstInvalid(p.Value, path.Length == 0 ? name : $"{path}.{name}") is { } bad) return bad;
                }
                return null;
            default:
                return null;
        }
    }

    private static bool IsText(Func<string?> read)
    {
        try { read(); return true; }
        catch (InvalidOperationException) { return false; }
    }
}
