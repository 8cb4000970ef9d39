using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Merlinite.Gguf;

public static partial class GgufInfo
{
    /// <summary>
    /// A JSON report: header fields, <c>metadata</c> (an object keyed by metadata key, each <c>{type, value}</c>; arrays add
    /// <c>element_type</c> and <c>count</c>, and when longer than <paramref name="maxArrayElements"/> hold only their first
    /// elements plus <c>"truncated": true</c> unless <paramref name="full"/>) and <c>tensors</c> (a list). Non-finite floats
    /// are written as the strings "NaN", "Infinity" and "-Infinity", which JSON cannot express as numbers.
    /// </summary>
    public static string ToJson(GgufFile file, bool full = false, int maxArrayElements = DefaultMaxArrayElements)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentOutOfRangeException.ThrowIfNegative(maxArrayElements);
        int limit = full ? int.MaxValue : maxArrayElements;
        var buffer = new ArrayBufferWriter<byte>();
        var options = new JsonWriterOptions
        {
            Indented = true,
            // Vocabulary pieces like "<s>" and "▁the" stay readable; the output is for terminals and scripts, not HTML.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        using (var w = new Utf8JsonWriter(buffer, options))
        {
            w.WriteStartObject();
            w.WriteString("path", file.Path);
            w.WriteNumber("version", file.Version);
            w.WriteNumber("file_size", file.FileLength);
            w.WriteNumber("alignment", file.Alignment);
            w.WriteNumber("data_offset", file.DataOffset);
            w.WriteNumber("metadata_count", file.Metadata.Count);
            w.WriteNumber("tensor_count", file.Tensors.Count);
            w.WriteNumber("tensor_data_bytes", file.TensorDataBytes);

            w.WriteStartObject("metadata");
            foreach (var (key, value) in file.Metadata)
            {
                w.WritePropertyName(key);
                w.WriteStartObject();
                w.WriteString("type", GgufValueTypes.Name(value.Type));
                if (value.IsArray) WriteArray(w, value, limit);
                else
                {
                    w.WritePropertyName("value");
                    WriteScalar(w, value);
                }
                w.WriteEndObject();
            }
            w.WriteEndObject();

            w.WriteStartArray("tensors");
            foreach (var t in file.Tensors)
            {
                w.WriteStartObject();
                w.WriteNumber("index", t.Index);
                w.WriteString("name", t.Name);
                w.WriteStartArray("shape");
                foreach (long d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteString("type", t.TypeInfo.Name);
                w.WriteNumber("type_id", (uint)t.Type);
                w.WriteNumber("elements", t.ElementCount);
                w.WriteNumber("bytes", t.ByteSize);
                w.WriteNumber("offset", t.Offset);
                w.WriteNumber("file_offset", t.FileOffset);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    /// <summary>The array properties of the current object: element_type, count, value (and truncated).</summary>
    private static void WriteArray(Utf8JsonWriter w, GgufValue array, int limit)
    {
        int n = array.ArrayLength;
        int shown = Math.Min(n, limit);
        w.WriteString("element_type", GgufValueTypes.Name(array.ElementType!.Value));
        w.WriteNumber("count", n);
        w.WriteStartArray("value");
        for (int i = 0; i < shown; i++)
        {
            var element = array.GetElement(i);
            if (element.IsArray)
            {
                w.WriteStartObject();
                WriteArray(w, element, limit);
                w.WriteEndObject();
            }
            else
            {
                WriteScalar(w, element);
            }
        }
        w.WriteEndArray();
        if (shown < n) w.WriteBoolean("truncated", true);
    }

    private static void WriteScalar(Utf8JsonWriter w, GgufValue value)
    {
        switch (value.Type)
        {
            case GgufValueType.String: w.WriteStringValue(value.AsString()); break;
            case GgufValueType.Bool: w.WriteBooleanValue(value.AsBool()); break;
            case GgufValueType.Float32: WriteFloat(w, value.AsFloat32()); break;
            case GgufValueType.Float64: WriteFloat(w, value.AsFloat64()); break;
            case GgufValueType.UInt64: w.WriteNumberValue(value.AsUInt64()); break;
            default: w.WriteNumberValue(value.AsInt64()); break;
        }
    }

    private static void WriteFloat(Utf8JsonWriter w, float v)
    {
        if (float.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteStringValue(NonFinite(v));
    }

    private static void WriteFloat(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteStringValue(NonFinite(v));
    }

    private static string NonFinite(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
}
