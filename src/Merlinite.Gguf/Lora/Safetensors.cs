using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Merlinite.Gguf.Lora;

/// <summary>One tensor of a safetensors file: its shape (row-major, torch's order) and values as float32.</summary>
public sealed record SafetensorsTensor(string Name, long[] Shape, float[] Values);

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the raw little-endian data. Written with F32 tensors in name order and the header
/// padded to 8 bytes, so the same tensors always give the same bytes; read from F32, F16 or BF16.
/// </summary>
public static class Safetensors
{
    public static void Write(string path, IReadOnlyList<SafetensorsTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is not null) header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        long offset = 0;
        var ordered = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        foreach (var t in ordered)
        {
            long bytes = t.Values.LongLength * 4;
            header[t.Name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        string partial = path + ".partial";
        using (var stream = new FileStream(partial, FileMode.Create, FileAccess.Write))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var t in ordered)
            {
                var data = new byte[t.Values.Length * 4];
                for (int i = 0; i < t.Values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * 4), t.Values[i]);
                stream.Write(data);
            }
        }
        File.Move(partial, path, overwrite: true);
    }

    public static IReadOnlyList<SafetensorsTensor> Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < 8) throw new GgufFormatException($"{path}: too short to be a safetensors file");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > (ulong)(file.Length - 8)) throw new GgufFormatException($"{path}: the header length {headerLength} exceeds the file");
        JsonObject header;
        try { header = JsonNode.Parse(file.AsSpan(8, (int)headerLength)) as JsonObject ?? throw new JsonException("not an object"); }
        catch (JsonException e) { throw new GgufFormatException($"{path}: the header is not valid JSON ({e.Message})"); }
        var data = file.AsMemory(8 + (int)headerLength);
        var tensors = new List<SafetensorsTensor>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            try
            {
                string dtype = node!["dtype"]!.GetValue<string>();
                long[] shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                long begin = node["data_offsets"]![0]!.GetValue<long>(), end = node["data_offsets"]![1]!.GetValue<long>();
                long count = shape.Aggregate(1L, (a, d) => a * d);
                int size = dtype switch { "F32" => 4, "F16" or "BF16" => 2, _ => throw new GgufFormatException($"{path}: tensor '{name}' is {dtype}; F32, F16 or BF16 expected") };
                if (begin < 0 || end > data.Length || end - begin != count * size)
                    throw new GgufFormatException($"{path}: tensor '{name}' has data offsets [{begin}, {end}] that do not fit its shape or the file");
                var raw = data.Span[(int)begin..(int)end];
                var values = new float[count];
                for (long i = 0; i < count; i++)
                    values[i] = dtype switch
                    {
                        "F32" => BinaryPrimitives.ReadSingleLittleEndian(raw[(int)(i * 4)..]),
                        "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(int)(i * 2)..]),
                        _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(int)(i * 2)..]) << 16),
                    };
                tensors.Add(new SafetensorsTensor(name, shape, values));
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException)
            {
                throw new GgufFormatException($"{path}: tensor '{name}' has a malformed header entry ({e.Message})");
            }
        }
        return tensors;
    }
}
