using Merlinite.Gguf;
using Merlinite.Gguf.Architecture;

namespace Merlinite.Synth;

/// <summary>What <see cref="ModelSynthesizer.Synthesize"/> wrote.</summary>
public sealed record SynthResult(
    string Path,
    SynthArch Arch,
    SynthPreset Preset,
    LlamaHyperParameters HyperParameters,
    GgmlType StoredType,
    int TensorCount,
    long ParameterCount,
    long FileBytes);

/// <summary>
/// Writes deterministic random-weight llama-architecture GGUF models (Mistral / Mixtral shapes) with Merlinite's
/// SentencePiece-style vocabulary. The same <see cref="SynthOptions"/> always give a byte-identical file.
/// <para>Weights: every value comes from <see cref="DeterministicRandom"/> seeded per (seed, tensor name, row), so any
/// tensor or row can be regenerated independently (<see cref="GenerateRows"/>) and big models are streamed row chunk
/// by row chunk, never held in memory. Values are uniform on [-a, a] with a = std·√3:</para>
/// <list type="bullet">
/// <item>projections (attn_q/k/v, ffn_gate/up, expert gate/up, router): std 1/√fan_in, so activations keep unit scale;</item>
/// <item>residual writers (attn_output, ffn_down, expert down): std 1/√fan_in / √(2·n_layer);</item>
/// <item>token_embd: std 1/√n_embd; output: std 2/√n_embd, so logits have a standard deviation near 2 (a softmax that
///   is neither one-hot nor uniform);</item>
/// <item>RMSNorm gains: 1 + uniform noise on [-0.05, 0.05] (not exactly 1, so a forward pass that drops or mixes up a
///   gain is detectable).</item>
/// </list>
/// </summary>
public static class ModelSynthesizer
{
    /// <summary>Version of the synthesis algorithm (initialization, seeding, vocabulary); written as <c>merlinite.synth.version</c>.</summary>
    public const uint AlgorithmVersion = 1;

    private const float NormNoiseAmplitude = 0.05f;
    private const double LogitStd = 2.0;

    public const string KeySynthVersion = "merlinite.synth.version";
    public const string KeySynthSeed = "merlinite.synth.seed";
    public const string KeySynthPreset = "merlinite.synth.preset";
    public const string KeySynthArch = "merlinite.synth.arch";

    /// <summary>Synthesizes the model described by <paramref name="options"/> into <paramref name="outPath"/> (written atomically).</summary>
    public static SynthResult Synthesize(SynthOptions options, string outPath)
    {
        var (writer, result) = Prepare(options, outPath);
        writer.Write(outPath);
        return result with { FileBytes = new FileInfo(outPath).Length };
    }

    private static (GgufWriter Writer, SynthResult Result) Prepare(SynthOptions options, string outPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(outPath);

        var arch = options.ResolveArch();
        var hp = options.ResolveHyperParameters();
        var storedType = options.ResolveStoredType();
        var vocab = SentencePieceVocabulary.Create(hp.VocabSize);
        var tensors = LlamaTensorNames.Expected(hp);
        long total = tensors.Sum(t => t.ElementCount);

        var writer = Header(options, arch, hp, vocab, options.ResolveName(), FileTypeOf(storedType), w =>
        {
            w.AddUInt32(KeySynthVersion, AlgorithmVersion);
            w.AddUInt64(KeySynthSeed, options.Seed);
        });

        long done = 0;
        for (int index = 0; index < tensors.Count; index++)
        {
            var spec = tensors[index];
            int tensorIndex = index;
            ulong seed = options.Seed;
            writer.AddTensor(spec.Name, spec.Shape, StoredTypeOf(spec, storedType), (firstRow, rowCount, dest) =>
            {
                GenerateRows(seed, spec, hp, firstRow, rowCount, dest);
                done += (long)rowCount * spec.RowLength;
                options.Progress?.Invoke(new SynthProgress(spec.Name, tensorIndex, tensors.Count, done, total));
            });
        }
        return (writer, new SynthResult(outPath, arch, options.Preset, hp, storedType, tensors.Count, total, 0));
    }

    /// <summary>
    /// Writes the shape of the model <paramref name="options"/> describes, without its weights: the same metadata and
    /// tensor table as <see cref="Synthesize"/>, tensor types from <paramref name="typeName"/>
    /// (<see cref="ShapeOnlyTypes"/>, e.g. q4_k_m), and every tensor's bytes a hole (a sparse file of the real size that
    /// takes no disk and is written at once). What memory planning reads; llama.cpp loads it as zero weights.
    /// </summary>
    public static SynthResult SynthesizeShape(SynthOptions options, string typeName, string outPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        var arch = options.ResolveArch();
        var hp = options.ResolveHyperParameters();
        var tensors = LlamaTensorNames.Expected(hp);
        var writer = Header(options, arch, hp, SentencePieceVocabulary.Create(hp.VocabSize), options.ResolveName() + "-shape",
            typeName == "q4_k_m" ? 15u : 0u, _ => { });  // 15: LLAMA_FTYPE_MOSTLY_Q4_K_M
        writer.AddString(KeyShapeOnly, typeName);
        foreach (var spec in tensors) writer.AddZeroTensor(spec.Name, spec.Shape, ShapeOnlyTypes.TypeOf(typeName, spec, hp));
        writer.Write(outPath);
        // The weights' type (q4_k_m: its main one, Q4_K; the mix is in each tensor's entry).
        var weightType = ShapeOnlyTypes.TypeOf(typeName, tensors.First(t => t.Role == LlamaTensorRole.AttentionQuery), hp);
        return new SynthResult(outPath, arch, options.Preset, hp, weightType, tensors.Count,
            tensors.Sum(t => t.ElementCount), new FileInfo(outPath).Length);
    }

    /// <summary>The metadata both kinds of file share, in this order (synthesized files are byte-identical per seed),
    /// with <paramref name="beforeNames"/>' keys before the preset and arch names.</summary>
    private static GgufWriter Header(SynthOptions options, SynthArch arch, LlamaHyperParameters hp,
        SentencePieceVocabulary vocab, string name, uint fileType, Action<GgufWriter> beforeNames)
    {
        var writer = new GgufWriter();
        writer.AddString(LlamaGgufKeys.Architecture, LlamaGgufKeys.ArchitectureName);
        writer.AddString("general.name", name);
        hp.WriteTo(writer);
        writer.AddUInt32("general.file_type", fileType);
        writer.AddUInt32("general.quantization_version", 2);
        vocab.WriteTo(writer);
        beforeNames(writer);
        writer.AddString(KeySynthPreset, SynthParsing.FormatPreset(options.Preset));
        writer.AddString(KeySynthArch, SynthParsing.FormatArch(arch));
        return writer;
    }

    /// <summary>Written by <see cref="SynthesizeShape"/>: the file holds a shape, its weights are zero.</summary>
    public const string KeyShapeOnly = "merlinite.synth.shape_only";

    /// <summary>
    /// The storage type of one tensor when the model's weights are stored as <paramref name="modelType"/>: norm gains
    /// and the MoE router stay F32 (as llama.cpp's converter and quantizer keep them).
    /// </summary>
    public static GgmlType StoredTypeOf(LlamaTensorSpec spec, GgmlType modelType) =>
        spec.IsNorm || spec.Role == LlamaTensorRole.ExpertRouter ? GgmlType.F32 : modelType;

    /// <summary><c>general.file_type</c> (llama_ftype) of a model whose weights are stored as <paramref name="type"/>.</summary>
    public static uint FileTypeOf(GgmlType type) => type switch
    {
        GgmlType.F32 => 0,   // LLAMA_FTYPE_ALL_F32
        GgmlType.F16 => 1,   // LLAMA_FTYPE_MOSTLY_F16
        GgmlType.Q8_0 => 7,  // LLAMA_FTYPE_MOSTLY_Q8_0
        GgmlType.BF16 => 32, // LLAMA_FTYPE_MOSTLY_BF16
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a synthesis type"),
    };

    /// <summary>The standard deviation the weights of <paramref name="spec"/> are drawn with (norm gains: around 1, see class remarks).</summary>
    public static double InitStd(LlamaTensorSpec spec, LlamaHyperParameters hp)
    {
        double residualScale = 1.0 / Math.Sqrt(2.0 * hp.BlockCount);
        return spec.Role switch
        {
            LlamaTensorRole.TokenEmbedding => 1.0 / Math.Sqrt(hp.EmbeddingLength),
            LlamaTensorRole.Output => LogitStd / Math.Sqrt(hp.EmbeddingLength),
            LlamaTensorRole.AttentionOutput or LlamaTensorRole.FeedForwardDown or LlamaTensorRole.ExpertDown =>
                residualScale / Math.Sqrt(spec.FanIn),
            _ when spec.IsNorm => NormNoiseAmplitude / Math.Sqrt(3.0),
            _ => 1.0 / Math.Sqrt(spec.FanIn),
        };
    }

    /// <summary>
    /// Generates rows [<paramref name="firstRow"/>, firstRow + <paramref name="rowCount"/>) of tensor
    /// <paramref name="spec"/> (row = ne0 values; rows run over all higher dimensions) into <paramref name="dest"/>,
    /// exactly as <see cref="Synthesize"/> writes them (before conversion to the stored type). Any chunking or order
    /// gives the same values.
    /// </summary>
    public static void GenerateRows(ulong seed, LlamaTensorSpec spec, LlamaHyperParameters hp, long firstRow, int rowCount, Span<float> dest)
    {
        int rowLength = checked((int)spec.RowLength);
        if (firstRow < 0 || rowCount < 0 || firstRow + rowCount > spec.RowCount)
            throw new ArgumentOutOfRangeException(nameof(firstRow), $"rows [{firstRow}, {firstRow + rowCount}) outside {spec.Name} ({spec.RowCount} rows)");
        if (dest.Length < (long)rowCount * rowLength)
            throw new ArgumentException($"destination holds {dest.Length} values, {rowCount} rows of {rowLength} need {(long)rowCount * rowLength}");

        ulong tensorSeed = DeterministicRandom.DeriveSeed(seed, spec.Name);
        bool norm = spec.IsNorm;
        float amplitude = norm ? NormNoiseAmplitude : DeterministicRandom.UniformAmplitudeForStd(InitStd(spec, hp));
        int count = rowCount * rowLength;
        if (rowCount < 2 || count < ParallelThreshold || Environment.ProcessorCount < 2)
        {
            for (int r = 0; r < rowCount; r++)
                FillRow(tensorSeed, firstRow + r, amplitude, norm, dest.Slice(r * rowLength, rowLength));
            return;
        }

        // Big chunks: rows are independent (seeded per row), so they can be generated in parallel with identical results.
        float[] buffer = System.Buffers.ArrayPool<float>.Shared.Rent(count);
        try
        {
            Parallel.For(0, rowCount, r =>
                FillRow(tensorSeed, firstRow + r, amplitude, norm, buffer.AsSpan(r * rowLength, rowLength)));
            buffer.AsSpan(0, count).CopyTo(dest);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private const int ParallelThreshold = 1 << 18;

    private static void FillRow(ulong tensorSeed, long row, float amplitude, bool norm, Span<float> dest)
    {
        var rng = new DeterministicRandom(DeterministicRandom.DeriveSeed(tensorSeed, row));
        rng.FillSymmetric(dest, amplitude);
        if (norm)
            for (int i = 0; i < dest.Length; i++) dest[i] += 1f;
    }

    /// <summary>All values of <paramref name="spec"/> as F32 (small tensors only: tests and reference computations).</summary>
    public static float[] GenerateTensor(ulong seed, LlamaTensorSpec spec, LlamaHyperParameters hp)
    {
        var data = new float[checked((int)spec.ElementCount)];
        GenerateRows(seed, spec, hp, 0, checked((int)spec.RowCount), data);
        return data;
    }
}
