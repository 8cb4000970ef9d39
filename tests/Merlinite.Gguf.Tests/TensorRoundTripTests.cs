namespace Merlinite.Gguf.Tests;

public class TensorRoundTripTests
{
    [Fact]
    public void F32_tensors_round_trip_bit_exactly_including_specials()
    {
        var data = Samples.Floats(96, 10);
        data[5] = float.NaN;
        data[6] = float.PositiveInfinity;
        data[7] = 1e-42f; // subnormal
        var w = new GgufWriter();
        w.AddTensor("t", [32, 3], GgmlType.F32, data);
        using var f = GgufFile.FromMemory(Samples.ToBytes(w));

        var t = f.GetTensor("t");
        Assert.Equal(new long[] { 32, 3 }, t.Shape);
        Assert.Equal(GgmlType.F32, t.Type);
        Assert.Equal(96, t.ElementCount);
        Assert.Equal(96 * 4, t.ByteSize);
        Assert.Equal(3, t.RowCount);
        var back = f.ReadTensorAsFloat32(t);
        Assert.Equal(data.Select(BitConverter.SingleToInt32Bits), back.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void F16_tensors_hold_the_round_to_nearest_even_half_of_each_value()
    {
        var data = Samples.Floats(256, 11, scale: 70000f); // beyond half's range: some become infinity
        data[4] = 1.00048828125f; // exactly halfway between two halves: ties to even -> 1.0
        var w = new GgufWriter();
        w.AddTensor("h", [256], GgmlType.F16, data);
        using var f = GgufFile.FromMemory(Samples.ToBytes(w));

        var raw = f.ReadTensorBytes("h");
        var back = f.ReadTensorAsFloat32("h");
        for (int i = 0; i < data.Length; i++)
        {
            Half expected = (Half)data[i];
            Assert.Equal(BitConverter.HalfToUInt16Bits(expected), BitConverter.ToUInt16(raw, 2 * i));
            Assert.Equal((float)expected, back[i]);
        }
        Assert.Equal(1.0f, back[4]);
        Assert.Contains(back, float.IsInfinity);
    }

    [Fact]
    public void BF16_tensors_hold_the_rounded_upper_half_of_each_float()
    {
        var data = Samples.Floats(64, 12, scale: 3f);
        data[4] = BitConverter.Int32BitsToSingle(0x3F808000); // halfway, even below: rounds down to 0x3F80
        data[5] = BitConverter.Int32BitsToSingle(0x3F818000); // halfway, odd below: rounds up to 0x3F82
        data[6] = BitConverter.Int32BitsToSingle(0x3F80FFFF); // rounds up to 0x3F81
        data[7] = float.NaN;
        var w = new GgufWriter();
        w.AddTensor("b", [64], GgmlType.BF16, data);
        using var f = GgufFile.FromMemory(Samples.ToBytes(w));

        var raw = f.ReadTensorBytes("b");
        var back = f.ReadTensorAsFloat32("b");
        for (int i = 0; i < data.Length; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(data[i]);
            ushort expected = float.IsNaN(data[i])
                ? (ushort)((bits >> 16) | 0x40)
                : (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
            Assert.Equal(expected, BitConverter.ToUInt16(raw, 2 * i));
            Assert.Equal(BitConverter.UInt32BitsToSingle((uint)expected << 16), back[i]);
        }
        Assert.Equal(0x3F80, BitConverter.ToUInt16(raw, 8));
        Assert.Equal(0x3F82, BitConverter.ToUInt16(raw, 10));
        Assert.Equal(0x3F81, BitConverter.ToUInt16(raw, 12));
        Assert.True(float.IsNaN(back[7]));
    }

    [Fact]
    public void Q8_0_matches_an_independent_reference_quantization_within_half_a_step()
    {
        var data = Samples.Floats(32 * 8, 13, scale: 2f);
        for (int j = 0; j < 32; j++) data[64 + j] = 0f;            // an all-zero block: d = 0
        // amax 127 makes d exactly 1, so these land exactly halfway between integers: ties go away from zero.
        data[96] = 127f;
        for (int j = 1; j < 32; j++) data[96 + j] = j - 16 + 0.5f;
        var w = new GgufWriter();
        w.AddTensor("q", [64, 4], GgmlType.Q8_0, data);
        using var f = GgufFile.FromMemory(Samples.ToBytes(w));

        var t = f.GetTensor("q");
        Assert.Equal(8 * 34, t.ByteSize);
        var raw = f.ReadTensorBytes(t);
        var back = f.ReadTensorAsFloat32(t);
        for (int b = 0; b < 8; b++)
        {
            // Reference: d = max|x| / 127 stored as half; q = x / d rounded half away from zero.
            double amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.Max(amax, Math.Abs(data[b * 32 + j]));
            float d = (float)amax / 127f;
            float storedD = (float)(Half)d;
            Assert.Equal(BitConverter.HalfToUInt16Bits((Half)d), BitConverter.ToUInt16(raw, b * 34));
            for (int j = 0; j < 32; j++)
            {
                float x = data[b * 32 + j];
                int q = d == 0 ? 0 : (int)Math.Round(x * (1f / d), MidpointRounding.AwayFromZero);
                Assert.Equal((sbyte)q, (sbyte)raw[b * 34 + 2 + j]);
                Assert.Equal(q * storedD, back[b * 32 + j]);
                // error: half a quantization step plus the half-precision rounding of d (relative 2^-11 per unit of q),
                // plus 1e-7 for float32's own roundings of x/d and q·d (2 × 2^-24 of the random blocks' values, all < 1)
                Assert.True(Math.Abs(back[b * 32 + j] - x) <= d / 2 + Math.Abs(q) * d * 0.0005f + 1e-7f,
                    $"block {b} element {j}: {x} -> {back[b * 32 + j]}");
            }
        }
        Assert.All(back.Skip(64).Take(32), v => Assert.Equal(0f, v));
        Assert.Equal(3f, back[96 + 18]);   // 2.5 -> 3
        Assert.Equal(-3f, back[96 + 13]);  // -2.5 -> -3
        Assert.Equal(1f, back[96 + 16]);   // 0.5 -> 1
    }

    [Theory]
    [InlineData(32u)]
    [InlineData(64u)]
    [InlineData(256u)]
    public void Tensor_data_is_aligned_and_general_alignment_is_written_when_not_default(uint alignment)
    {
        var w = new GgufWriter { Alignment = alignment };
        w.AddString("general.name", "odd-length-name-to-misalign-the-header");
        w.AddTensor("a", [3], GgmlType.F32, new float[] { 1, 2, 3 });       // 12 bytes: next tensor needs padding
        w.AddTensor("b", [5], GgmlType.F16, new float[] { 1, 2, 3, 4, 5 });
        w.AddTensor("c", [32], GgmlType.Q8_0, Samples.Floats(32, 5));
        var bytes = Samples.ToBytes(w);
        using var f = GgufFile.FromMemory(bytes);

        Assert.Equal(alignment, f.Alignment);
        Assert.Equal(0, f.DataOffset % alignment);
        Assert.All(f.Tensors, t => Assert.Equal(0, t.Offset % alignment));
        Assert.All(f.Tensors, t => Assert.Equal(0, t.FileOffset % alignment));
        Assert.Equal(new long[] { 0, alignment, 2 * alignment }, f.Tensors.Select(t => t.Offset));
        Assert.Equal(0, bytes.Length % alignment); // the last tensor is padded too, as gguf.cpp does
        Assert.Equal(w.ComputeFileSize(), bytes.Length);
        Assert.Equal(alignment != 32, f.Metadata.ContainsKey("general.alignment"));
        Assert.Equal(new float[] { 1, 2, 3 }, f.ReadTensorAsFloat32("a"));
        Assert.Equal(new float[] { 1, 2, 3, 4, 5 }, f.ReadTensorAsFloat32("b"));
    }

    [Fact]
    public void Alignment_can_be_given_as_metadata()
    {
        var w = new GgufWriter();
        w.AddUInt32("general.alignment", 64);
        w.AddTensor("a", [3], GgmlType.F32, new float[] { 1, 2, 3 });
        w.AddTensor("b", [3], GgmlType.F32, new float[] { 4, 5, 6 });
        Assert.Equal(64u, w.Alignment);
        using var f = GgufFile.FromMemory(Samples.ToBytes(w));
        Assert.Equal(64u, f.Alignment);
        Assert.Equal(64, f.GetTensor("b").Offset);
        Assert.Equal(new float[] { 4, 5, 6 }, f.ReadTensorAsFloat32("b"));
    }

    [Fact]
    public void Streaming_row_callbacks_produce_the_same_file_as_arrays()
    {
        const int rowLength = 4096, rows = 300; // > 1M elements: several chunks
        float Value(long row, int col) => (float)Math.Sin(row * 0.37 + col * 0.011);
        var full = new float[rowLength * rows];
        for (int r = 0; r < rows; r++) for (int c = 0; c < rowLength; c++) full[r * rowLength + c] = Value(r, c);

        var calls = new List<(long First, int Count)>();
        var streamed = new GgufWriter();
        streamed.AddTensor("w", [rowLength, rows], GgmlType.Q8_0, (first, count, dest) =>
        {
            calls.Add((first, count));
            Assert.Equal(count * rowLength, dest.Length);
            for (int r = 0; r < count; r++) for (int c = 0; c < rowLength; c++) dest[r * rowLength + c] = Value(first + r, c);
        });
        var fromArray = new GgufWriter();
        fromArray.AddTensor("w", [rowLength, rows], GgmlType.Q8_0, full);

        Assert.Equal(Samples.ToBytes(fromArray), Samples.ToBytes(streamed));
        Assert.True(calls.Count > 1);
        Assert.Equal(0, calls[0].First);
        Assert.Equal(rows, calls.Sum(c => c.Count));
        Assert.All(calls, c => Assert.True(c.Count * rowLength <= 1 << 20));
    }

    [Fact]
    public void Rows_can_be_read_in_ranges_without_reading_the_whole_tensor()
    {
        var data = Samples.Floats(64 * 10, 14);
        var w = new GgufWriter();
        w.AddTensor("q", [64, 10], GgmlType.Q8_0, data);
        w.AddTensor("f", [64, 10], GgmlType.F16, data);
        using var f = GgufFile.FromMemory(Samples.ToBytes(w));
        foreach (var name in new[] { "q", "f" })
        {
            var t = f.GetTensor(name);
            var whole = f.ReadTensorAsFloat32(t);
            var part = new float[3 * 64];
            f.ReadRowsAsFloat32(t, 4, 3, part);
            Assert.Equal(whole.Skip(4 * 64).Take(3 * 64), part);
            var rawPart = new byte[3 * (int)t.RowByteSize];
            f.ReadRows(t, 4, 3, rawPart);
            Assert.Equal(f.ReadTensorBytes(t).Skip(4 * (int)t.RowByteSize).Take(rawPart.Length), rawPart);
            Assert.Throws<ArgumentOutOfRangeException>(() => f.ReadRowsAsFloat32(t, 8, 3, part));
            Assert.Throws<ArgumentException>(() => f.ReadRowsAsFloat32(t, 0, 3, new float[10]));
        }
    }

    [Fact]
    public void Raw_tensors_of_any_type_are_copied_verbatim_and_sizes_are_known_for_undecodable_types()
    {
        var iq2 = GgmlTypeInfo.Of(GgmlType.IQ2_XXS);
        var raw = new byte[2 * iq2.BytesPerBlock];
        new Random(3).NextBytes(raw);
        var w = new GgufWriter();
        w.AddRawTensor("iq", [512], GgmlType.IQ2_XXS, raw);
        using var f = GgufFile.FromMemory(Samples.ToBytes(w));
        var t = f.GetTensor("iq");
        Assert.Equal(GgmlType.IQ2_XXS, t.Type);
        Assert.Equal(raw.Length, t.ByteSize);
        Assert.Equal(raw, f.ReadTensorBytes(t));
        Assert.Throws<NotSupportedException>(() => f.ReadTensorAsFloat32(t));
    }

    [Fact]
    public void Files_are_read_from_disk_with_the_same_results()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.gguf");
        Samples.SmallModel().Write(path);
        var expected = GgufFile.FromMemory(File.ReadAllBytes(path));
        using var f = GgufFile.Open(path);
        Assert.Equal(path, f.Path);
        Assert.Equal(new FileInfo(path).Length, f.FileLength);
        foreach (var t in f.Tensors)
            Assert.Equal(expected.ReadTensorAsFloat32(t.Name), f.ReadTensorAsFloat32(t));
        Assert.Throws<ArgumentException>(() => f.ReadTensorBytes(expected.Tensors[0])); // info from another file
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => f.ReadTensorBytes(f.Tensors[0]));
    }
}
