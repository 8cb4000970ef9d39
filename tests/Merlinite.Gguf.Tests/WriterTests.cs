namespace Merlinite.Gguf.Tests;

public class WriterTests
{
    [Fact]
    public void Write_creates_the_file_atomically_and_leaves_no_temporary_files()
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.gguf");
        var w = Samples.SmallModel();
        w.Write(path);
        Assert.Equal(["m.gguf"], dir.Entries());
        Assert.Equal(w.ComputeFileSize(), new FileInfo(path).Length);
        Assert.Equal(Samples.ToBytes(w), File.ReadAllBytes(path));

        // Overwriting an existing file works too.
        var w2 = new GgufWriter();
        w2.AddString("general.name", "second");
        w2.Write(path);
        using var f = GgufFile.Open(path);
        Assert.Equal("second", f.Metadata.GetString("general.name"));
    }

    [Fact]
    public void Zero_tensors_are_holes_of_their_full_size_that_read_as_zeros()
    {
        using var dir = new TempDirectory();
        var path = dir.File("shape.gguf");
        var w = new GgufWriter();
        w.AddString("general.name", "shape");
        w.AddZeroTensor("a", [256, 3], GgmlType.Q4_K);
        w.AddTensor("b", [4], GgmlType.F32, new float[] { 1, 2, 3, 4 });
        w.AddZeroTensor("c", [64, 2], GgmlType.F16);
        w.Write(path);
        Assert.Equal(w.ComputeFileSize(), new FileInfo(path).Length);
        using var f = GgufFile.Open(path);
        byte[] bytes = File.ReadAllBytes(path);
        var a = f.GetTensor("a");
        var b = f.GetTensor("b");
        var c = f.GetTensor("c");
        Assert.Equal(3 * 144, a.ByteSize);
        Assert.True(bytes.AsSpan((int)a.FileOffset, (int)a.ByteSize).IndexOfAnyExcept((byte)0) < 0);
        Assert.True(bytes.AsSpan((int)c.FileOffset, (int)c.ByteSize).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(
            bytes.AsSpan((int)b.FileOffset, 16)).ToArray());
    }

    [Fact]
    public void The_partial_file_has_one_fixed_name_so_a_write_killed_midway_is_replaced_not_piled_up()
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.gguf");
        // What a SIGKILL during a write leaves behind: the partial file, under the one name every write uses.
        File.WriteAllBytes(path + ".partial", new byte[12345]);
        Samples.SmallModel().Write(path);
        Assert.Equal(["m.gguf"], dir.Entries());
        Assert.Equal(Samples.ToBytes(Samples.SmallModel()), File.ReadAllBytes(path));
    }

    [Fact]
    public void A_failing_row_callback_leaves_no_file_and_no_temporary_file()
    {
        using var dir = new TempDirectory();
        var path = dir.File("broken.gguf");
        var w = new GgufWriter();
        w.AddString("general.name", "x");
        int calls = 0;
        w.AddTensor("big", [4096, 1024], GgmlType.F16, (first, count, dest) =>
        {
            if (++calls == 3) throw new InvalidOperationException("generator failed");
            dest.Fill(1f);
        });

        var e = Assert.Throws<InvalidOperationException>(() => w.Write(path));
        Assert.Equal("generator failed", e.Message);
        Assert.Equal(3, calls);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void A_failing_write_keeps_the_previous_file()
    {
        using var dir = new TempDirectory();
        var path = dir.File("keep.gguf");
        Samples.SmallModel().Write(path);
        var before = File.ReadAllBytes(path);

        var w = new GgufWriter();
        w.AddRawTensor("t", [32], GgmlType.Q8_0, (_, _, _) => throw new IOException("disk on fire"));
        Assert.Throws<IOException>(() => w.Write(path));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["keep.gguf"], dir.Entries());
    }

    [Fact]
    public void Duplicate_keys_and_tensor_names_are_rejected()
    {
        var w = new GgufWriter();
        w.AddUInt32("a", 1);
        var e = Assert.Throws<ArgumentException>(() => w.AddString("a", "again"));
        Assert.Contains("metadata key 'a' was already added", e.Message);
        w.AddTensor("t", [32], GgmlType.F32, new float[32]);
        e = Assert.Throws<ArgumentException>(() => w.AddTensor("t", [32], GgmlType.F16, new float[32]));
        Assert.Contains("tensor 't' was already added", e.Message);
        Assert.Throws<ArgumentException>(() => w.AddString("", "empty key"));
    }

    [Fact]
    public void Shapes_types_and_data_lengths_are_validated()
    {
        var w = new GgufWriter();
        var e = Assert.Throws<ArgumentException>(() => w.AddTensor("q", [48, 2], GgmlType.Q8_0, new float[96]));
        Assert.Contains("tensor 'q' row length 48 is not a multiple of the Q8_0 block size 32", e.Message);
        e = Assert.Throws<ArgumentException>(() => w.AddTensor("k", [256], GgmlType.Q4_K, new float[256]));
        Assert.Contains("cannot encode floats as Q4_K", e.Message);
        e = Assert.Throws<ArgumentException>(() => w.AddTensor("n", [32], GgmlType.F32, new float[31]));
        Assert.Contains("has 32 elements but 31 values were given", e.Message);
        Assert.Throws<ArgumentException>(() => w.AddTensor("z", [0], GgmlType.F32, new float[0]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("d", [1, 1, 1, 1, 1], GgmlType.F32, new float[1]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("o", [long.MaxValue, 4], GgmlType.F32, (_, _, _) => { }));
        Assert.Throws<ArgumentException>(() => w.AddTensor(new string('n', 64), [1], GgmlType.F32, new float[1]));
        Assert.Throws<ArgumentException>(() => w.AddRawTensor("r", [256], GgmlType.Q6_K, new byte[209]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("x", [4], (GgmlType)4, new float[4]));
        Assert.Equal(0, w.TensorCount);
    }

    [Fact]
    public void Alignment_must_be_a_power_of_two_and_a_uint32()
    {
        var w = new GgufWriter();
        Assert.Throws<ArgumentException>(() => w.Alignment = 48);
        Assert.Throws<ArgumentException>(() => w.AddUInt64("general.alignment", 64));
        Assert.Throws<ArgumentException>(() => w.AddUInt32("general.alignment", 0));
        w.Alignment = 128;
        w.Alignment = 16; // replaces the entry instead of duplicating it
        Assert.Single(w.Metadata);
        Assert.Equal(16u, w.Metadata[0].Value.AsUInt32());
    }

    [Fact]
    public void Output_is_laid_out_like_gguf_cpp()
    {
        // magic, version 3, n_tensors, n_kv, then the kv and the tensor info, padding, data, padding.
        var w = new GgufWriter();
        w.AddUInt8("k", 7);
        w.AddTensor("t", [2], GgmlType.F32, new[] { 1f, 2f });
        var bytes = Samples.ToBytes(w);
        var expected = new RawGguf().Header(1, 1).Str("k").U32((uint)GgufValueType.UInt8).Bytes([7])
            .Tensor("t", [2], GgmlType.F32, 0).Align()
            .Bytes(BitConverter.GetBytes(1f)).Bytes(BitConverter.GetBytes(2f)).Align().ToArray();
        Assert.Equal(expected, bytes);
    }
}
