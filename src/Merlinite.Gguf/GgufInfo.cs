using System.Globalization;
using System.Text;

namespace Merlinite.Gguf;

/// <summary>
/// The reports behind <c>merlinite gguf info</c>: a human-readable dump in the spirit of gguf-py's gguf-dump, and a
/// JSON document for scripts. Both are returned as strings; the CLI prints them.
/// </summary>
public static partial class GgufInfo
{
    /// <summary>Arrays longer than this are summarised (their type, length and first few elements) unless full output is asked for.</summary>
    public const int DefaultMaxArrayElements = 16;

    // Chat templates run to kilobytes; the text report shows their start unless full output is asked for.
    private const int MaxTextStringLength = 200;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Header summary, every metadata entry (<c>index type key = value</c>) and the tensor table (index, name, shape in
    /// ggml order, type, bytes, data-relative and absolute offsets).
    /// </summary>
    public static string ToText(GgufFile file, bool full = false, Func<uint, string?>? fileTypeName = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        int maxElements = full ? int.MaxValue : DefaultMaxArrayElements;
        int maxString = full ? 0 : MaxTextStringLength;
        var sb = new StringBuilder();

        sb.Append(Summary(file, fileTypeName));
        Line(sb, $"file:          {file.Path}");
        Line(sb, $"GGUF version:  {file.Version}");
        Line(sb, $"file size:     {file.FileLength} bytes");
        Line(sb, $"alignment:     {file.Alignment}");
        Line(sb, $"data offset:   0x{file.DataOffset:X} ({file.DataOffset})");
        Line(sb, $"metadata:      {file.Metadata.Count} keys");
        Line(sb, $"tensors:       {file.Tensors.Count} ({file.Tensors.Sum(t => t.ElementCount)} elements, {file.TensorDataBytes} bytes of data)");

        sb.Append('\n');
        Line(sb, $"Metadata ({file.Metadata.Count}):");
        int keyIndexWidth = Math.Max(1, (file.Metadata.Count - 1).ToString(Inv).Length);
        for (int i = 0; i < file.Metadata.Count; i++)
        {
            var (key, value) = file.Metadata[i];
            string type = GgufValueTypes.Name(value.Type);
            Line(sb, $"  {i.ToString(Inv).PadLeft(keyIndexWidth)}  {type,-8} {key} = {GgufValueFormatter.Format(value, maxElements, maxString)}");
        }

        sb.Append('\n');
        Line(sb, $"Tensors ({file.Tensors.Count}):");
        if (file.Tensors.Count > 0) AppendTensorTable(sb, file);
        return sb.ToString();
    }

    private static void AppendTensorTable(StringBuilder sb, GgufFile file)
    {
        string[] header = ["#", "name", "shape", "type", "bytes", "offset", "file offset"];
        var rows = file.Tensors.Select(t => new[]
        {
            t.Index.ToString(Inv),
            t.Name,
            FormatShape(t.Shape),
            t.TypeInfo.Name,
            t.ByteSize.ToString(Inv),
            "0x" + t.Offset.ToString("X", Inv),
            "0x" + t.FileOffset.ToString("X", Inv),
        }).ToList();
        var widths = header.Select((h, c) => Math.Max(h.Length, rows.Max(r => r[c].Length))).ToArray();
        // Numbers are right-aligned, text left-aligned.
        bool[] right = [true, false, false, false, true, true, true];
        void Row(string[] cells) =>
            Line(sb, "  " + string.Join("  ", cells.Select((c, i) => right[i] ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd());
        Row(header);
        foreach (var r in rows) Row(r);
    }

    internal static string FormatShape(long[] shape) => "[" + string.Join(", ", shape.Select(d => d.ToString(Inv))) + "]";

    private static void Line(StringBuilder sb, string text) => sb.Append(text).Append('\n');
}
