using Merlinite.Gguf;
using Merlinite.Gguf.Architecture;

namespace Merlinite.Engine.Tests.Reference;

/// <summary>
/// A reference forward pass of a llama-architecture GGUF (Llama / Mistral / Mixtral), written for reading rather than
/// speed: no llama.cpp, no SIMD, every sum accumulated in double. It exists so that the llama.cpp-based scorer can be
/// checked against arithmetic anyone can follow line by line.
/// <para>What it computes is what llama.cpp's <c>LLM_ARCH_LLAMA</c> graph computes (src/models/llama.cpp):</para>
/// <list type="number">
/// <item>x = token_embd[token]</item>
/// <item>per block: x += attn_output · Attention(RoPE(attn_q·n), RoPE(attn_k·n), attn_v·n), n = RMSNorm(x)·attn_norm;
/// then x += FFN(RMSNorm(x)·ffn_norm)</item>
/// <item>logits = output · (RMSNorm(x)·output_norm)</item>
/// </list>
/// <para>RoPE: <c>llama_model_rope_type</c> returns LLAMA_ROPE_TYPE_NORM for LLM_ARCH_LLAMA, i.e. consecutive pairs
/// (2i, 2i+1) of each head rotate by pos·theta^(-2i/head_dim). (Hugging Face checkpoints use the "rotate halves" layout;
/// convert_hf_to_gguf permutes the rows of q_proj/k_proj so that GGUF files need the pairwise rotation. Our synthesizer
/// writes GGUF layout directly.)</para>
/// <para>MoE (<c>llm_graph_context::build_moe_ffn</c> with LLAMA_EXPERT_GATING_FUNC_TYPE_SOFTMAX, norm_w = true, no
/// weight scale): p = softmax(ffn_gate_inp·h) over all experts; keep the top n_expert_used; divide their p by the sum of
/// the kept p; output = Σ_e p_e · down_e(SiLU(gate_e·h) ⊙ up_e·h).</para>
/// <para>Weights are ggml order: a matrix with ne = [n_in, n_out] is n_out rows of n_in floats, so
/// y[o] = Σ_i W[o·n_in + i]·x[i]; a 3-D expert stack [n_in, n_out, n_expert] holds expert e's matrix at
/// offset e·n_in·n_out.</para>
/// </summary>
public sealed class ReferenceModel
{
    private readonly float[] _tokenEmbedding, _outputNorm, _output;
    private readonly Layer[] _layers;

    private sealed class Layer
    {
        public required float[] AttnNorm, Wq, Wk, Wv, Wo, FfnNorm;
        // Dense feed-forward (null for MoE).
        public float[]? Gate, Up, Down;
        // Mixture of experts (null for dense).
        public float[]? Router, GateExps, UpExps, DownExps;
    }

    private ReferenceModel(LlamaHyperParameters hp, float[] tokenEmbedding, float[] outputNorm, float[] output, Layer[] layers)
    {
        Hp = hp;
        _tokenEmbedding = tokenEmbedding;
        _outputNorm = outputNorm;
        _output = output;
        _layers = layers;
    }

    public LlamaHyperParameters Hp { get; }

    /// <summary>Reads the hyperparameters and every weight (any type GgufFile can dequantize) into memory as float32.</summary>
    public static ReferenceModel Load(string path)
    {
        using var file = GgufFile.Open(path);
        var hp = LlamaHyperParameters.FromGguf(file);
        float[] Read(string name) => file.ReadTensorAsFloat32(name);

        var layers = new Layer[hp.BlockCount];
        for (int l = 0; l < hp.BlockCount; l++)
        {
            var layer = new Layer
            {
                AttnNorm = Read(LlamaTensorNames.AttentionNorm(l)),
                Wq = Read(LlamaTensorNames.AttentionQuery(l)),
                Wk = Read(LlamaTensorNames.AttentionKey(l)),
                Wv = Read(LlamaTensorNames.AttentionValue(l)),
                Wo = Read(LlamaTensorNames.AttentionOutput(l)),
                FfnNorm = Read(LlamaTensorNames.FeedForwardNorm(l)),
            };
            if (hp.IsMixtureOfExperts)
            {
                layer.Router = Read(LlamaTensorNames.ExpertRouter(l));
                layer.GateExps = Read(LlamaTensorNames.ExpertGate(l));
                layer.UpExps = Read(LlamaTensorNames.ExpertUp(l));
                layer.DownExps = Read(LlamaTensorNames.ExpertDown(l));
            }
            else
            {
                layer.Gate = Read(LlamaTensorNames.FeedForwardGate(l));
                layer.Up = Read(LlamaTensorNames.FeedForwardUp(l));
                layer.Down = Read(LlamaTensorNames.FeedForwardDown(l));
            }
            layers[l] = layer;
        }
        var embedding = Read(LlamaTensorNames.TokenEmbedding);
        // llama.cpp ties the LM head to the token embedding when output.weight is absent.
        var output = file.TryGetTensor(LlamaTensorNames.Output, out _) ? Read(LlamaTensorNames.Output) : embedding;
        return new ReferenceModel(hp, embedding, Read(LlamaTensorNames.OutputNorm), output, layers);
    }

    /// <summary>Row p: log-softmax of the logits at position p, i.e. log p(next token | tokens[0..p]).</summary>
    public double[][] LogProbsOfNextTokens(int[] tokens) => Logits(tokens).Select(LogSoftmax).ToArray();

    /// <summary>Row p: the logits at position p (after tokens[0..p]).</summary>
    public double[][] Logits(int[] tokens) => Forward(tokens, null);

    /// <summary>Smallest router margin at the top-k boundary (probability of the last expert kept minus that of the
    /// first one dropped) over every layer and position of <paramref name="tokens"/>; +∞ for a dense model. A tiny
    /// margin would let float32 and float64 legitimately pick different experts.</summary>
    public double MinRouterMargin(int[] tokens)
    {
        double min = double.PositiveInfinity;
        Forward(tokens, m => min = Math.Min(min, m));
        return min;
    }

    private double[][] Forward(int[] tokens, Action<double>? onRouterMargin)
    {
        int n = tokens.Length, embd = Hp.EmbeddingLength;
        var x = new double[n][];
        for (int p = 0; p < n; p++)
        {
            if ((uint)tokens[p] >= (uint)Hp.VocabSize) throw new ArgumentOutOfRangeException(nameof(tokens), $"token {tokens[p]} at {p} is not in the vocabulary");
            x[p] = new double[embd];
            for (int i = 0; i < embd; i++) x[p][i] = _tokenEmbedding[(long)tokens[p] * embd + i];
        }

        foreach (var layer in _layers)
        {
            // Attention sub-block (all positions at once: attention mixes them).
            var normed = x.Select(v => RmsNorm(v, layer.AttnNorm)).ToArray();
            var attn = Attention(layer, normed);
            for (int p = 0; p < n; p++) AddInPlace(x[p], MatVec(layer.Wo, attn[p], embd));

            // Feed-forward sub-block (position by position).
            for (int p = 0; p < n; p++)
            {
                var h = RmsNorm(x[p], layer.FfnNorm);
                AddInPlace(x[p], Hp.IsMixtureOfExperts ? MixtureOfExperts(layer, h, onRouterMargin) : SwiGlu(layer.Gate!, layer.Up!, layer.Down!, 0, h));
            }
        }

        return x.Select(v => MatVec(_output, RmsNorm(v, _outputNorm), Hp.VocabSize)).ToArray();
    }

    /// <summary>Causal grouped-query attention with RoPE; returns, per position, the concatenated head outputs.</summary>
    private double[][] Attention(Layer layer, double[][] h)
    {
        int n = h.Length, headDim = Hp.HeadDim, nHead = Hp.HeadCount, nHeadKv = Hp.HeadCountKv;
        int group = nHead / nHeadKv;
        double scale = 1.0 / Math.Sqrt(headDim);

        var q = new double[n][];
        var k = new double[n][];
        var v = new double[n][];
        for (int p = 0; p < n; p++)
        {
            q[p] = MatVec(layer.Wq, h[p], nHead * headDim);
            k[p] = MatVec(layer.Wk, h[p], nHeadKv * headDim);
            v[p] = MatVec(layer.Wv, h[p], nHeadKv * headDim);
            ApplyRope(q[p], nHead, p);
            ApplyRope(k[p], nHeadKv, p);
        }

        var result = new double[n][];
        for (int p = 0; p < n; p++)
        {
            result[p] = new double[nHead * headDim];
            for (int head = 0; head < nHead; head++)
            {
                int kvHead = head / group;
                // Scores against positions 0..p only (causal mask).
                var scores = new double[p + 1];
                for (int s = 0; s <= p; s++)
                {
                    double dot = 0;
                    for (int i = 0; i < headDim; i++) dot += q[p][head * headDim + i] * k[s][kvHead * headDim + i];
                    scores[s] = dot * scale;
                }
                var weights = Softmax(scores);
                for (int s = 0; s <= p; s++)
                    for (int i = 0; i < headDim; i++)
                        result[p][head * headDim + i] += weights[s] * v[s][kvHead * headDim + i];
            }
        }
        return result;
    }

    /// <summary>llama.cpp "normal" RoPE: within each head, pair (2i, 2i+1) rotates by pos·theta^(-2i/head_dim).</summary>
    private void ApplyRope(double[] vec, int heads, int pos)
    {
        int headDim = Hp.HeadDim;
        for (int head = 0; head < heads; head++)
            for (int i = 0; i < headDim / 2; i++)
            {
                double angle = pos * Math.Pow(Hp.RopeFreqBase, -2.0 * i / headDim);
                double cos = Math.Cos(angle), sin = Math.Sin(angle);
                int a = head * headDim + 2 * i;
                double x0 = vec[a], x1 = vec[a + 1];
                vec[a] = x0 * cos - x1 * sin;
                vec[a + 1] = x0 * sin + x1 * cos;
            }
    }

    /// <summary>Softmax router over all experts; the top n_expert_used, best first, with their probabilities divided by
    /// the sum of the kept ones; and the margin between the last kept and the first dropped probability.</summary>
    private (int[] Experts, double[] Weights, double Margin) Route(Layer layer, double[] h)
    {
        var probs = Softmax(MatVec(layer.Router!, h, Hp.ExpertCount));
        var order = Enumerable.Range(0, Hp.ExpertCount).OrderByDescending(e => probs[e]).ThenBy(e => e).ToArray();
        var chosen = order.Take(Hp.ExpertUsedCount).ToArray();
        double sum = chosen.Sum(e => probs[e]);
        var weights = chosen.Select(e => probs[e] / sum).ToArray();
        double margin = Hp.ExpertUsedCount < Hp.ExpertCount ? probs[order[Hp.ExpertUsedCount - 1]] - probs[order[Hp.ExpertUsedCount]] : double.PositiveInfinity;
        return (chosen, weights, margin);
    }

    private double[] MixtureOfExperts(Layer layer, double[] h, Action<double>? onRouterMargin)
    {
        var (experts, weights, margin) = Route(layer, h);
        onRouterMargin?.Invoke(margin);
        var y = new double[Hp.EmbeddingLength];
        for (int j = 0; j < experts.Length; j++)
        {
            var ye = SwiGlu(layer.GateExps!, layer.UpExps!, layer.DownExps!, experts[j], h);
            for (int i = 0; i < y.Length; i++) y[i] += weights[j] * ye[i];
        }
        return y;
    }

    /// <summary>down · (SiLU(gate·h) ⊙ up·h); for expert stacks, <paramref name="expert"/> selects the slab.</summary>
    private double[] SwiGlu(float[] gate, float[] up, float[] down, int expert, double[] h)
    {
        int embd = Hp.EmbeddingLength, ff = Hp.FeedForwardLength;
        long slab = (long)embd * ff; // gate/up slabs are [embd, ff], down slabs [ff, embd]: same size
        var g = MatVec(gate, h, ff, expert * slab);
        var u = MatVec(up, h, ff, expert * slab);
        var a = new double[ff];
        for (int i = 0; i < ff; i++) a[i] = Silu(g[i]) * u[i];
        return MatVec(down, a, embd, expert * slab);
    }

    private static double Silu(double z) => z / (1 + Math.Exp(-z));

    /// <summary>y[o] = Σ_i W[offset + o·n_in + i]·x[i] with n_in = x.Length.</summary>
    private static double[] MatVec(float[] w, double[] x, int outputs, long offset = 0)
    {
        int nIn = x.Length;
        if (offset + (long)outputs * nIn > w.Length) throw new ArgumentException($"weight has {w.Length} values, need {offset + (long)outputs * nIn}");
        var y = new double[outputs];
        for (int o = 0; o < outputs; o++)
        {
            long row = offset + (long)o * nIn;
            double sum = 0;
            for (int i = 0; i < nIn; i++) sum += w[row + i] * x[i];
            y[o] = sum;
        }
        return y;
    }

    /// <summary>x / sqrt(mean(x²) + eps) · gain.</summary>
    private double[] RmsNorm(double[] x, float[] gain)
    {
        double meanSquare = 0;
        foreach (double v in x) meanSquare += v * v;
        meanSquare /= x.Length;
        double inv = 1.0 / Math.Sqrt(meanSquare + Hp.RmsNormEpsilon);
        var y = new double[x.Length];
        for (int i = 0; i < x.Length; i++) y[i] = x[i] * inv * gain[i];
        return y;
    }

    private static void AddInPlace(double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++) x[i] += y[i];
    }

    public static double[] Softmax(double[] z)
    {
        double max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    public static double[] LogSoftmax(double[] z)
    {
        double max = z.Max();
        double sum = 0;
        foreach (double v in z) sum += Math.Exp(v - max);
        double logSumExp = max + Math.Log(sum);
        return z.Select(v => v - logSumExp).ToArray();
    }
}
