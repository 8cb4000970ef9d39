namespace Merlinite.Gguf.Lora;

/// <summary>What a merge did, for the caller to report.</summary>
public sealed record LoraMergeResult(int MergedTensors, int CopiedTensors, IReadOnlyList<string> Requantized);

/// <summary>
/// Folds GGUF LoRA adapters (llama.cpp's format) into a base model: W' = W + scale·B·A per adapted weight, with
/// scale = user scale × alpha / rank (llama.cpp's rule; alpha 0 means scale = user scale). Shapes in ggml order:
/// W [n_in, n_out(, n_expert)], lora_a [n_in, r(, n_expert)], lora_b [r, n_out(, n_expert)]. Weights without an adapter
/// are copied byte for byte; merged weights keep their type when it can be written (F32, F16, BF16, Q8_0) and
/// otherwise become F16 (requantize the result, e.g. with merlinite quantize).
/// </summary>
public static class LoraMerger
{
    public static LoraMergeResult Merge(string basePath, IReadOnlyList<(string Path, float Scale)> adapters, string outPath, Action<double>? progress = null)
    {
        using var model = GgufFile.Open(basePath);
        var opened = adapters.Select(a => (File: GgufFile.Open(a.Path), a.Scale)).ToList();
        try
        {
            var deltas = opened.SelectMany(a => AdapterWeights(a.File, a.Scale, model)).ToList();
            var byTarget = deltas.GroupBy(d => d.Target).ToDictionary(g => g.Key, g => g.ToList());

            var writer = new GgufWriter();
            foreach (var kv in model.Metadata) writer.Add(kv.Key, kv.Value);
            var requantized = new List<string>();
            int merged = 0, done = 0;
            foreach (var tensor in model.Tensors)
            {
                if (!byTarget.TryGetValue(tensor.Name, out var own))
                {
                    writer.CopyTensor(model, tensor);
                    continue;
                }
                var weights = model.ReadTensorAsFloat32(tensor);
                foreach (var d in own) d.AddTo(weights, tensor);
                var type = GgmlEncoder.IsSupported(tensor.Type) ? tensor.Type : GgmlType.F16;
                if (type != tensor.Type) requantized.Add($"{tensor.Name}: {tensor.TypeInfo.Name} -> f16");
                writer.AddTensor(tensor.Name, tensor.Shape, type, weights);
                merged++;
                progress?.Invoke(++done / (double)byTarget.Count);
            }
            writer.Write(outPath);
            return new LoraMergeResult(merged, model.Tensors.Count - merged, requantized);
        }
        finally
        {
            foreach (var a in opened) a.File.Dispose();
        }
    }

    private static IEnumerable<LoraDelta> AdapterWeights(GgufFile adapter, float userScale, GgufFile model)
    {
        string where = adapter.Path;
        if (adapter.Metadata.GetStringOrDefault("general.type") != "adapter" || adapter.Metadata.GetStringOrDefault("adapter.type") != "lora")
            throw new GgufFormatException($"{where}: not a LoRA adapter (general.type = adapter and adapter.type = lora expected)");
        string? arch = adapter.Metadata.GetStringOrDefault("general.architecture");
        string? baseArch = model.Metadata.GetStringOrDefault("general.architecture");
        if (arch != baseArch) throw new GgufFormatException($"{where}: adapter architecture '{arch}' does not match the base model's '{baseArch}'");
        float alpha = adapter.Metadata.TryGetValue("adapter.lora.alpha", out var a) ? a.AsFloat32() : 0;

        foreach (var loraA in adapter.Tensors.Where(t => t.Name.EndsWith(".lora_a", StringComparison.Ordinal)))
        {
            string target = loraA.Name[..^".lora_a".Length];
            if (!adapter.TryGetTensor(target + ".lora_b", out var loraB)) throw new GgufFormatException($"{where}: {loraA.Name} has no matching .lora_b");
            if (!model.TryGetTensor(target, out var weight)) throw new GgufFormatException($"{where}: adapts '{target}', which the base model does not have");
            if (target == "token_embd.weight") throw new GgufFormatException($"{where}: adapters on token_embd.weight are not supported by merge");
            long nIn = weight.Dimension(0), nOut = weight.Dimension(1), experts = weight.Dimension(2);
            long rank = loraB.Dimension(0);
            if (loraA.Dimension(0) != nIn || loraA.Dimension(1) != rank || loraB.Dimension(1) != nOut
                || loraA.Dimension(2) != experts || loraB.Dimension(2) != experts)
                throw new GgufFormatException($"{where}: {target}: lora_a [{string.Join(", ", loraA.Shape)}] and lora_b [{string.Join(", ", loraB.Shape)}] do not fit the weight [{string.Join(", ", weight.Shape)}]");
            float scale = alpha != 0 ? userScale * alpha / rank : userScale;
            yield return new LoraDelta(target, adapter.ReadTensorAsFloat32(loraA), adapter.ReadTensorAsFloat32(loraB), (int)rank, scale);
        }
    }

    private sealed record LoraDelta(string Target, float[] A, float[] B, int Rank, float Scale)
    {
        /// <summary>weights[e][o][i] += scale · Σ_k B[e][o][k] · A[e][k][i], accumulated in double per element.</summary>
        public void AddTo(float[] weights, GgufTensorInfo tensor)
        {
            int nIn = (int)tensor.Dimension(0), nOut = (int)tensor.Dimension(1), experts = (int)tensor.Dimension(2);
            Parallel.For(0, experts * nOut, row =>
            {
                int e = row / nOut, o = row % nOut;
                var w = weights.AsSpan(row * nIn, nIn);
                int aBase = e * Rank * nIn, bRow = (e * nOut + o) * Rank;
                var acc = new double[nIn];
                for (int k = 0; k < Rank; k++)
                {
                    double bk = B[bRow + k];
                    var aRow = A.AsSpan(aBase + k * nIn, nIn);
                    for (int i = 0; i < nIn; i++) acc[i] += bk * aRow[i];
                }
                for (int i = 0; i < nIn; i++) w[i] += (float)(Scale * acc[i]);
            });
        }
    }
}
