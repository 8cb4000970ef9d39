namespace Merlinite.Gguf.Tests;

/// <summary>
/// Damaged copies of a valid file must either open with consistent contents or fail with a
/// <see cref="GgufFormatException"/>; any other exception (IndexOutOfRange, OutOfMemory, Overflow...) is a bug.
/// </summary>
public class FuzzTests
{
    private static readonly byte[] Original = Samples.ToBytes(Samples.SmallModel());

    /// <summary>Opens, then exercises everything a caller might touch.</summary>
    private static bool OpensAndReads(byte[] bytes)
    {
        try
        {
            using var f = GgufFile.FromMemory(bytes, "fuzz.gguf");
            foreach (var (_, value) in f.Metadata) _ = value.ToString();
            foreach (var t in f.Tensors)
            {
                _ = f.ReadTensorBytes(t);
                if (t.TypeInfo.CanDequantize) _ = f.ReadTensorAsFloat32(t);
            }
            _ = GgufInfo.ToText(f);
            _ = GgufInfo.ToJson(f);
            return true;
        }
        catch (GgufFormatException e)
        {
            Assert.StartsWith("fuzz.gguf: ", e.Message);
            return false;
        }
    }

    [Fact]
    public void Truncation_at_any_point_fails_cleanly_or_leaves_the_data_intact()
    {
        using var full = GgufFile.FromMemory(Original);
        long dataEnd = full.Tensors.Max(t => t.FileOffset + t.ByteSize);
        var lengths = Enumerable.Range(0, (int)full.DataOffset + 1)                       // every header byte
            .Concat(Enumerable.Range(0, (int)((Original.Length - full.DataOffset) / 7))     // a stride through the data
                .Select(i => (int)full.DataOffset + 7 * i))
            .Append(Original.Length - 1);

        int opened = 0;
        foreach (int n in lengths)
        {
            var cut = Original.AsSpan(0, n).ToArray();
            if (!OpensAndReads(cut)) continue;
            opened++;
            // Only the trailing padding may be cut off: every tensor's data must be intact.
            Assert.True(n >= dataEnd, $"a file cut at {n} bytes opened although data ends at {dataEnd}");
            using var f = GgufFile.FromMemory(cut);
            foreach (var t in f.Tensors) Assert.Equal(full.ReadTensorBytes(t.Name), f.ReadTensorBytes(t));
        }
        Assert.Equal(Original.Length - 1 >= dataEnd ? 1 : 0, opened);
    }

    [Fact]
    public void Header_fields_overwritten_with_bogus_values_fail_cleanly()
    {
        using var full = GgufFile.FromMemory(Original);
        ulong[] bogus = [0, 1, 31, 0x7F, 0xFFFF, 0xFFFFFFFF, 1UL << 32, 1UL << 60, long.MaxValue, ulong.MaxValue];
        int failures = 0, cases = 0;
        // Every 4-byte-aligned position in the header, overwritten with 4 or 8 bytes of each bogus value.
        for (int offset = 4; offset + 8 <= full.DataOffset; offset += 4)
        {
            foreach (ulong value in bogus)
            {
                foreach (int width in new[] { 4, 8 })
                {
                    var bytes = (byte[])Original.Clone();
                    BitConverter.GetBytes(value).AsSpan(0, width).CopyTo(bytes.AsSpan(offset));
                    cases++;
                    if (!OpensAndReads(bytes)) failures++;
                }
            }
        }
        Assert.True(failures > cases / 2, $"only {failures} of {cases} corruptions were detected");
    }

    [Fact]
    public void Random_byte_flips_fail_cleanly_or_open()
    {
        var rng = new Random(20240611);
        using var full = GgufFile.FromMemory(Original);
        int failures = 0;
        for (int iteration = 0; iteration < 400; iteration++)
        {
            var bytes = (byte[])Original.Clone();
            int flips = 1 + rng.Next(4);
            for (int k = 0; k < flips; k++)
            {
                // Mostly the header, where the structure is; sometimes anywhere.
                int limit = rng.Next(4) == 0 ? bytes.Length : (int)full.DataOffset;
                bytes[rng.Next(limit)] ^= (byte)(1 << rng.Next(8));
            }
            if (!OpensAndReads(bytes)) failures++;
        }
        Assert.InRange(failures, 1, 399); // some flips break the file, some hit bytes nothing checks: neither may be all
    }
}
