using System.Buffers.Binary;

namespace Merlinite.Engine.Packing;

/// <summary>
/// The layout of a chat binary: the engine (the merlinite executable, untouched, so the kernel runs it as before), then
/// each part (model, adapters) at a 64 KiB boundary, then the manifest JSON, then a 32-byte trailer at the very end:
/// "MERLPACK", the format, and the manifest's offset and length. The alignment lets a filesystem share a part's blocks
/// with the unpacked copy (a reflink) instead of copying them, on any block or page size up to 64 KiB.
/// </summary>
public static class PackLayout
{
    public const int Format = 1;
    public const long Alignment = 64 * 1024;
    public const int TrailerSize = 32;
    private static ReadOnlySpan<byte> Magic => "MERLPACK"u8;

    public static long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    /// <summary>Where an ELF executable's own bytes end: its section header table, which linkers write last.
    /// Null for what is not a 64-bit little-endian ELF.</summary>
    private static long? ElfEnd(FileStream file)
    {
        Span<byte> h = stackalloc byte[64];
        file.Seek(0, SeekOrigin.Begin);
        if (file.Read(h) < 64 || !h[..4].SequenceEqual("\u007FELF"u8) || h[4] != 2 || h[5] != 1) return null;
        long sectionHeaders = BinaryPrimitives.ReadInt64LittleEndian(h[0x28..]);
        int size = BinaryPrimitives.ReadUInt16LittleEndian(h[0x3A..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(h[0x3C..]);
        return sectionHeaders + (long)size * count;
    }

    public static byte[] Trailer(long manifestOffset, long manifestLength)
    {
        var t = new byte[TrailerSize];
        Magic.CopyTo(t);
        BinaryPrimitives.WriteInt32LittleEndian(t.AsSpan(8), Format);
        BinaryPrimitives.WriteInt64LittleEndian(t.AsSpan(16), manifestOffset);
        BinaryPrimitives.WriteInt64LittleEndian(t.AsSpan(24), manifestLength);
        return t;
    }

    /// <summary>The manifest of the chat binary at <paramref name="path"/>, or null when the file carries none (the
    /// plain merlinite). Throws <see cref="PackFormatException"/> when the trailer is there but the rest is
    /// not.</summary>
    public static PackManifest? ReadManifest(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        if (file.Length < TrailerSize) return null;
        Span<byte> t = stackalloc byte[TrailerSize];
        file.Seek(-TrailerSize, SeekOrigin.End);
        file.ReadExactly(t);
        if (!t[..8].SequenceEqual(Magic))
        {
            // No manifest: the plain merlinite, unless bytes follow the executable's own end (a chat binary whose
            // download or copy was cut short would otherwise start as the tool and print its help).
            if (ElfEnd(file) is long elf && file.Length > Align(elf))
                throw new PackFormatException($"{path}: a chat binary cut short (its end, which says what is inside, " +
                                              "is missing): copy it again");
            return null;
        }
        long offset = BinaryPrimitives.ReadInt64LittleEndian(t[16..]);
        long length = BinaryPrimitives.ReadInt64LittleEndian(t[24..]);
        long end = file.Length - TrailerSize;
        if (offset < 0 || length <= 0 || length > 16 << 20 || offset + length != end)
            throw new PackFormatException($"{path}: the chat binary's trailer points outside the file (damaged or " +
                                          "cut short: copy it again)");
        var json = new byte[length];
        file.Seek(offset, SeekOrigin.Begin);
        file.ReadExactly(json);
        var manifest = PackManifest.Parse(json, path);
        foreach (var part in manifest.Adapters.Prepend(manifest.Model))
            if (part.Offset < manifest.EngineLength || part.Offset + part.Length > offset)
                throw new PackFormatException($"{path}: {part.File} lies outside the file's parts (damaged)");
        return manifest;
    }
}
