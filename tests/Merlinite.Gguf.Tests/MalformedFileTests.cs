namespace Merlinite.Gguf.Tests;

/// <summary>
/// Hand-made malformed files: each must fail with a <see cref="GgufFormatException"/> whose message names the file,
/// the offset and the problem, and must fail fast (no huge allocation, no long loop).
/// </summary>
public class MalformedFileTests
{
    private const string Name = "t.gguf";

    private static GgufFormatException Fails(RawGguf raw) => Fails(raw.ToArray());

    private static GgufFormatException Fails(byte[] bytes)
    {
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.FromMemory(bytes, Name));
        Assert.StartsWith(Name + ": ", e.Message);
        Assert.Equal(Name, e.FilePath);
        return e;
    }

    /// <summary>A valid file: metadata {a: u32}, one F32 tensor "w" [8, 2] at offset 0.</summary>
    private static RawGguf Valid(Action<RawGguf>? extraKv = null, ulong kvs = 1)
    {
        var raw = new RawGguf().Header(1, kvs).KvU32("a", 1);
        extraKv?.Invoke(raw);
        return raw.Mark("tensor").Tensor("w", [8, 2], GgmlType.F32, 0).Align().Zeros(64);
    }

    [Fact]
    public void The_valid_baseline_opens()
    {
        using var f = GgufFile.FromMemory(Valid().ToArray(), Name);
        Assert.Equal(new float[16], f.ReadTensorAsFloat32("w"));
    }

    [Fact]
    public void Lying_tensor_count_is_reported_with_its_offset()
    {
        var bytes = Valid().ToArray();
        BitConverter.GetBytes(1UL << 60).CopyTo(bytes, 8);
        var e = Fails(bytes);
        Assert.Contains("tensor count 1152921504606846976 at offset 0x8 cannot fit in the", e.Message);
        Assert.Equal(8, e.Offset);
    }

    [Fact]
    public void Lying_metadata_count_is_reported_with_its_offset()
    {
        var bytes = Valid().ToArray();
        BitConverter.GetBytes(1UL << 60).CopyTo(bytes, 16);
        var e = Fails(bytes);
        Assert.Contains("metadata count 1152921504606846976 at offset 0x10 cannot fit", e.Message);
    }

    [Fact]
    public void Counts_that_fit_alone_but_not_together_are_rejected_before_parsing()
    {
        var bytes = Valid().ToArray();
        long left = bytes.Length - 24;
        BitConverter.GetBytes((ulong)(left / 32)).CopyTo(bytes, 8);   // as many tensors as could fit
        BitConverter.GetBytes((ulong)(left / 14)).CopyTo(bytes, 16);  // as many entries as could fit
        Assert.Contains("cannot fit in the", Fails(bytes).Message);
    }

    [Fact]
    public void String_length_beyond_the_file_is_reported_exactly()
    {
        var raw = new RawGguf().Header(0, 1).U64(long.MaxValue).Zeros(100);
        var e = Fails(raw);
        Assert.Equal($"{Name}: string length 9223372036854775807 at offset 0x18 (the key of metadata entry 0) exceeds the 100 bytes left in the file", e.Message);
        Assert.Equal(0x18, e.Offset);
    }

    [Fact]
    public void Huge_array_lengths_are_rejected_before_allocating()
    {
        var raw = new RawGguf().Header(0, 1).Str("tokens").U32((uint)GgufValueType.Array).U32((uint)GgufValueType.Int32)
            .Mark("count").U64(1UL << 62).Zeros(40);
        var e = Fails(raw);
        Assert.Contains($"array 'tokens' length 4611686018427387904 at offset 0x{raw["count"]:X} exceeds what the 40 bytes left", e.Message);

        // 40 one-byte elements would fit, but not 40 strings (8 bytes each at least).
        raw = new RawGguf().Header(0, 1).Str("s").U32((uint)GgufValueType.Array).U32((uint)GgufValueType.String).U64(40).Zeros(40);
        Assert.Contains("array 's' length 40", Fails(raw).Message);

        // A string element that claims more than is left.
        raw = new RawGguf().Header(0, 1).Str("s").U32((uint)GgufValueType.Array).U32((uint)GgufValueType.String).U64(2)
            .Str("ok").U64(1UL << 40).Zeros(8);
        Assert.Contains("(element 1 of array 's') exceeds the 8 bytes left", Fails(raw).Message);
    }

    [Fact]
    public void Unknown_value_types_are_reported()
    {
        var raw = new RawGguf().Header(0, 1).Str("k").Mark("type").U32(13).U32(0);
        var e = Fails(raw);
        Assert.Contains($"metadata key 'k' has unknown value type 13 at offset 0x{raw["type"]:X}", e.Message);

        raw = new RawGguf().Header(0, 1).Str("arr").U32((uint)GgufValueType.Array).U32(77).U64(0);
        Assert.Contains("array 'arr' has unknown element type 77", Fails(raw).Message);
    }

    [Fact]
    public void Deeply_nested_arrays_are_rejected_instead_of_overflowing_the_stack()
    {
        var raw = new RawGguf().Header(0, 1).Str("deep").U32((uint)GgufValueType.Array);
        for (int i = 0; i < 10000; i++) raw.U32((uint)GgufValueType.Array).U64(1);
        raw.U32((uint)GgufValueType.UInt8).U64(0);
        Assert.Contains("nests arrays deeper than 16 levels", Fails(raw).Message);
    }

    [Fact]
    public void Duplicate_and_empty_keys_are_rejected()
    {
        var raw = new RawGguf().Header(0, 2).KvU32("a", 1).Mark("dup").KvU32("a", 2);
        Assert.Contains($"duplicate metadata key 'a' at offset 0x{raw["dup"]:X} (entries 0 and 1)", Fails(raw).Message);

        raw = new RawGguf().Header(0, 1).KvU32("", 1);
        Assert.Contains("metadata entry 0 at offset 0x18 has an empty key", Fails(raw).Message);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(48u)]
    [InlineData(0x80000001u)]
    public void Alignment_must_be_a_power_of_two(uint alignment)
    {
        var raw = Valid(r => r.Mark("align").KvU32("general.alignment", alignment), kvs: 2);
        var e = Fails(raw);
        Assert.Contains($"general.alignment = {alignment} at offset 0x{raw["align"]:X} is not a power of two", e.Message);
    }

    [Fact]
    public void Alignment_must_be_a_uint32()
    {
        var raw = Valid(r => r.KvString("general.alignment", "32"), kvs: 2);
        Assert.Contains("general.alignment at offset", Fails(raw).Message);
        Assert.Contains("must be a uint32 but is string", Fails(raw).Message);
    }

    [Fact]
    public void Bad_magic_and_versions_are_explained()
    {
        Assert.Contains("file is 3 bytes long, too short", Fails([0x47, 0x47, 0x55]).Message);
        Assert.Contains("not a GGUF file: it starts with bytes 47 47 4D 4C", Fails("GGMLxxxxxxxxxxxxxxxxxxxx"u8.ToArray()).Message);

        var bytes = Valid().ToArray();
        BitConverter.GetBytes(1u).CopyTo(bytes, 4);
        Assert.Contains("GGUF version 1 is no longer supported", Fails(bytes).Message);
        BitConverter.GetBytes(0x03000000u).CopyTo(bytes, 4);
        Assert.Contains("big-endian GGUF files are not supported", Fails(bytes).Message);
        BitConverter.GetBytes(4u).CopyTo(bytes, 4);
        Assert.Contains("GGUF version 4 is not supported (only 2 and 3) (at offset 0x4)", Fails(bytes).Message);
        BitConverter.GetBytes(2u).CopyTo(bytes, 4);
        using var v2 = GgufFile.FromMemory(bytes, Name);
        Assert.Equal(2u, v2.Version);
    }

    [Theory]
    [InlineData(31u, "unknown ggml type id 31 (Q4_0_4_4, removed from GGUF files; use Q4_0)")]
    [InlineData(4u, "unknown ggml type id 4 (Q4_2, removed from ggml)")]
    [InlineData(43u, "unknown ggml type id 43 (not a ggml type)")]
    [InlineData(0xFFFFFFFFu, "unknown ggml type id 4294967295 (not a ggml type)")]
    public void Unknown_tensor_types_are_reported(uint type, string expected)
    {
        var raw = new RawGguf().Header(1, 0).Tensor("w", [32], (GgmlType)type, 0).Align().Zeros(256);
        Assert.Contains($"tensor 'w' has {expected} at offset 0x", Fails(raw).Message);
    }

    [Fact]
    public void Zero_negative_and_too_many_dimensions_are_rejected()
    {
        var raw = new RawGguf().Header(1, 0).Str("w").U32(2).U64(8).Mark("dim").U64(0).U32(0).U64(0).Align().Zeros(64);
        Assert.Contains($"tensor 'w' dimension 1 is 0 at offset 0x{raw["dim"]:X} (must be at least 1)", Fails(raw).Message);

        raw = new RawGguf().Header(1, 0).Str("w").U32(1).U64(ulong.MaxValue).U32(0).U64(0).Align().Zeros(64);
        Assert.Contains("tensor 'w' dimension 0 is -1", Fails(raw).Message);

        raw = new RawGguf().Header(1, 0).Str("w").Mark("dims").U32(0).U32(0).U64(0).Align().Zeros(64);
        Assert.Contains($"tensor 'w' has 0 dimensions at offset 0x{raw["dims"]:X} (must be 1 to 4)", Fails(raw).Message);

        raw = new RawGguf().Header(1, 0).Str("w").U32(5).U64(1).U64(1).U64(1).U64(1).U64(1).U32(0).U64(0).Align().Zeros(64);
        Assert.Contains("tensor 'w' has 5 dimensions", Fails(raw).Message);
    }

    [Fact]
    public void Absurd_shapes_are_rejected_by_size_not_by_allocation()
    {
        var raw = new RawGguf().Header(1, 0).Tensor("w", [1L << 40, 1L << 40], GgmlType.F32, 0).Align().Zeros(64);
        Assert.Contains("tensor 'w' shape [1099511627776, 1099511627776] at offset", Fails(raw).Message);
        Assert.Contains("more than 2^63 elements", Fails(raw).Message);

        raw = new RawGguf().Header(1, 0).Tensor("w", [1L << 30, 4], GgmlType.F32, 0).Align().Zeros(64);
        Assert.Contains("tensor 'w' (info at offset 0x18) needs 17179869184 bytes of data but the whole file is", Fails(raw).Message);
    }

    [Fact]
    public void Rows_must_be_whole_blocks()
    {
        var raw = new RawGguf().Header(1, 0).Tensor("w", [33, 2], GgmlType.Q8_0, 0).Align().Zeros(256);
        Assert.Contains("tensor 'w' of type Q8_0 has rows of 33 elements, not a multiple of the block size 32", Fails(raw).Message);
    }

    [Fact]
    public void Offsets_past_the_end_misaligned_offsets_and_data_past_the_end_are_rejected()
    {
        var raw = new RawGguf().Header(1, 0).Tensor("w", [8], GgmlType.F32, 1UL << 40).Align().Zeros(64);
        Assert.Contains("tensor 'w' data offset 0x10000000000 at offset 0x", Fails(raw).Message);
        Assert.Contains("points past the end of the file", Fails(raw).Message);

        raw = new RawGguf().Header(1, 0).Tensor("w", [8], GgmlType.F32, 4).Align().Zeros(64);
        Assert.Contains("tensor 'w' data offset 0x4 at offset 0x", Fails(raw).Message);
        Assert.Contains("is not a multiple of the alignment 32", Fails(raw).Message);

        raw = new RawGguf().Header(1, 0).Tensor("w", [8], GgmlType.F32, 0).Align().Zeros(31); // needs 32 bytes
        var e = Fails(raw);
        Assert.Contains("tensor 'w' (info at offset 0x18) data [0x40, 0x60) extends past the end of the file (95 bytes)", e.Message);
        Assert.Equal(0x18, e.Offset);
    }

    [Fact]
    public void Duplicate_tensor_names_and_overlapping_tensors_are_rejected()
    {
        var raw = new RawGguf().Header(2, 0).Tensor("w", [8], GgmlType.F32, 0).Mark("second").Tensor("w", [8], GgmlType.F32, 32).Align().Zeros(64);
        Assert.Contains($"duplicate tensor name 'w' at offset 0x{raw["second"]:X} (tensors 0 and 1)", Fails(raw).Message);

        raw = new RawGguf().Header(2, 0).Tensor("a", [16], GgmlType.F32, 0).Tensor("b", [8], GgmlType.F32, 32).Align().Zeros(128);
        var e = Fails(raw);
        Assert.Contains("tensors 'a' [0x", e.Message);
        Assert.Contains("and 'b' [0x", e.Message);
        Assert.Contains("overlap", e.Message);

        // Out-of-order but disjoint tensors are fine.
        raw = new RawGguf().Header(2, 0).Tensor("a", [8], GgmlType.F32, 32).Tensor("b", [8], GgmlType.F32, 0).Align().Zeros(64);
        using var f = GgufFile.FromMemory(raw.ToArray(), Name);
        Assert.Equal(32, f.GetTensor("a").Offset);
    }

    [Fact]
    public void Over_long_tensor_names_are_rejected_like_ggml()
    {
        var name = new string('x', 64);
        var raw = new RawGguf().Header(1, 0).Tensor(name, [8], GgmlType.F32, 0).Align().Zeros(64);
        Assert.Contains("is 64 bytes, longer than ggml's limit of 63", Fails(raw).Message);
    }

    [Fact]
    public void Data_section_start_past_the_end_is_rejected()
    {
        // The header ends 1 byte short of a multiple of 32: the data section would start after the end.
        var raw = new RawGguf().Header(1, 0).Tensor("w", [1], GgmlType.I8, 0);
        Assert.Contains("the data section would start at offset 0x40, past the end of the file (57 bytes)", Fails(raw).Message);
    }

    [Fact]
    public void Missing_files_throw_the_usual_IO_exception()
    {
        Assert.Throws<FileNotFoundException>(() => GgufFile.Open(Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".gguf")));
    }
}
