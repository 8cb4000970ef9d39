using System.Text;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Outputs;
using Merlinite.Gguf;
using Merlinite.Llama;

namespace Merlinite.Engine.Packing;

/// <summary>
/// Writes a chat binary (<see cref="PackLayout"/>): the engine, the model and adapters, the manifest, the trailer. The
/// bytes go to <c>OUTPUT.partial</c>, are flushed to disk, made executable and renamed, so a file under the final
/// name is always whole; a failure or Ctrl+C removes the partial file.
/// </summary>
public static class PackWriter
{
    /// <param name="progress">Called with (bytes written, bytes in all) as the parts are copied.</param>
    public static PackResult Write(PackRequest request, string output, PackEngine engine,
        Action<long, long>? progress = null, CancellationToken ct = default)
    {
        output = Path.GetFullPath(output);
        PackChecks.Inputs(request);
        var files = request.Adapters.Select(a => a.Path).Prepend(request.Model).ToArray();
        // The manifest and trailer are a few KiB: one more alignment unit holds them.
        long total = PackLayout.Align(engine.Length) + files.Sum(f => PackLayout.Align(new FileInfo(f).Length))
                     + PackLayout.Alignment;
        PackChecks.Output(output, request, engine, total);

        string partial = AtomicFile.PartialPath(output);
        try
        {
            PackManifest manifest;
            using (var stream = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                long done = 0;
                string Copy(string path, long length)
                {
                    using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
                    long before = done;
                    return PartCopy.Copy(source, stream, length,
                        () => new PackException($"{path} became shorter while it was packed"),
                        n =>
                        {
                            done = before + n; // not inside the ?. call: it would be skipped without a listener
                            progress?.Invoke(done, total);
                        }, ct);
                }
                PackPart Part(string path, float scale)
                {
                    stream.Position = PackLayout.Align(stream.Position);
                    long offset = stream.Position, length = new FileInfo(path).Length;
                    return new PackPart(Path.GetFileName(path), offset, length, Copy(path, length), scale);
                }

                Copy(engine.Path, engine.Length);
                var model = Part(request.Model, 1);
                var adapters = request.Adapters.Select(a => Part(a.Path, a.Scale)).ToArray();
                // The parts end on the boundary too, so a reflink of a part's last block stays inside the file.
                stream.SetLength(PackLayout.Align(stream.Position));
                stream.Position = stream.Length;
                manifest = new PackManifest
                {
                    Name = request.Name ?? Path.GetFileNameWithoutExtension(output),
                    Merlinite = EngineInfo.MerliniteVersion,
                    Engine = engine.Description,
                    EngineLength = engine.Length,
                    Model = model,
                    ModelSummary = Summary(request.Model),
                    Adapters = adapters,
                    System = request.System,
                    Template = request.Template.Name(),
                    Source = request.Source,
                };
                byte[] json = Encoding.UTF8.GetBytes(manifest.ToJson());
                long at = stream.Position;
                stream.Write(json);
                stream.Write(PackLayout.Trailer(at, json.Length));
                stream.Flush(flushToDisk: true);
            }
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(partial, (UnixFileMode)0b111_101_101); // rwxr-xr-x
            File.Move(partial, output, overwrite: true);
            foreach (string library in engine.Libraries)
                File.Copy(library, Path.Combine(Path.GetDirectoryName(output)!, Path.GetFileName(library)), true);
            return new PackResult(output, new FileInfo(output).Length, manifest, engine.Libraries);
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }

    private static string Summary(string model)
    {
        using var gguf = GgufFile.Open(model);
        return GgufInfo.Summary(gguf, LlamaQuantizer.FileTypeName).TrimEnd();
    }
}
