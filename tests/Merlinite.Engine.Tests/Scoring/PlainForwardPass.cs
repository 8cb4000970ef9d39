using Merlinite.Gguf;
using Merlinite.Gguf.Architecture;

namespace Merlinite.Engine.Tests.Scoring;

/// <summary>
/// An independent llama/Mistral/Mixtral forward pass in plain C# (double precision), read straight from a GGUF with
/// F32 weights. It exists only to check llama.cpp-based scoring against arithmetic we can read line by line.
/// </summary>
public sealed class PlainForwardPass
{
    private readonly LlamaHyperParameters _hp;
    private readonly Dictionary<string, float[]> _w = new();

    public PlainForwardPass(string ggufPath)
    {
        using var file = GgufFile.Open(ggufPath);
        _hp = LlamaHyperParameters.FromGguf(file);
        foreach (var t in file.Tensors) _w[t.Name] = file.ReadTensorAsFloat32(t);
    }

    /// <summary>Row p = log-softmax of the logits after tokens[0..p].</summary>
    public double[][] LogProbs(int[] tokens)
    {
        int T = tokens.Length, d = _hp.EmbeddingLength;
        var x = new double[T][];
        for (int p = 0; p < T; p++) x[p] = Row(_w["token_embd.weight"], tokens[p], d);

        for (int l = 0; l < _hp.BlockCount; l++)
        {
            var attnIn = x.Select(v => RmsNorm(v, _w[$"blk.{l}.attn_norm.weight"])).ToArray();
            var attnOut = Attention(l, attnIn);
            for (int p = 0; p < T; p++) Add(x[p], MatVec(_w[$"blk.{l}.attn_output.weight"], attnOut[p], d));

            for (int p = 0; p < T; p++)
            {
                var h = RmsNorm(x[p], _w[$"blk.{l}.ffn_norm.weight"]);
                Add(x[p], _hp.ExpertCount > 0 ? MixtureOfExperts(l, h) : SwiGlu(h, $"blk.{l}.ffn_gate.weight", $"blk.{l}.ffn_up.weight", $"blk.{l}.ffn_down.weight", 0));
            }
        }
        return x.Select(v => LogSoftmax(MatVec(_w["output.weight"], RmsNorm(v, _w["output_norm.weight"]), _hp.VocabSize))).ToArray();
    }

    private double[][] Attention(int l, double[][] h)
    {
        int T = h.Length, hd = _hp.HeadDim, nh = _hp.HeadCount, nkv = _hp.HeadCountKv;
        var q = h.Select((v, p) => Rope(MatVec(_w[$"blk.{l}.attn_q.weight"], v, nh * hd), p, nh)).ToArray();
        var k = h.Select((v, p) => Rope(MatVec(_w[$"blk.{l}.attn_k.weight"], v, nkv * hd), p, nkv)).ToArray();
        var v = h.Select(v => MatVec(_w[$"blk.{l}.attn_v.weight"], v, nkv * hd)).ToArray();
        var outp = new double[T][];
        for (int p = 0; p < T; p++)
        {
            outp[p] = new double[nh * hd];
            for (int head = 0; head < nh; head++)
            {
                int kvh = head / (nh / nkv);
                var scores = new double[p + 1];
                for (int s = 0; s <= p; s++)
                {
                    double dot = 0;
                    for (int i = 0; i < hd; i++) dot += q[p][head * hd + i] * k[s][kvh * hd + i];
                    scores[s] = dot / Math.Sqrt(hd);
                }
                var w = Softmax(scores);
                for (int s = 0; s <= p; s++)
                    for (int i = 0; i < hd; i++) outp[p][head * hd + i] += w[s] * v[s][kvh * hd + i];
            }
        }
        return outp;
    }

    /// <summary>llama.cpp's "normal" RoPE: rotates consecutive pairs (2i, 2i+1) of each head.</summary>
    private double[] Rope(double[] x, int pos, int heads)
    {
        int hd = _hp.HeadDim;
        for (int head = 0; head < heads; head++)
            for (int i = 0; i < hd / 2; i++)
            {
                double theta = pos * Math.Pow(_hp.RopeFreqBase, -2.0 * i / hd);
                int a = head * hd + 2 * i;
                double x0 = x[a], x1 = x[a + 1];
                x[a] = x0 * Math.Cos(theta) - x1 * Math.Sin(theta);
                x[a + 1] = x0 * Math.Sin(theta) + x1 * Math.Cos(theta);
            }
        return x;
    }

    /// <summary>Softmax router over all experts, top-k kept, their weights renormalized to sum to 1.</summary>
    private double[] MixtureOfExperts(int l, double[] h)
    {
        var probs = Softmax(MatVec(_w[$"blk.{l}.ffn_gate_inp.weight"], h, _hp.ExpertCount));
        var top = Enumerable.Range(0, _hp.ExpertCount).OrderByDescending(e => probs[e]).Take(_hp.ExpertUsedCount).ToArray();
        double norm = top.Sum(e => probs[e]);
        var y = new double[h.Length];
        foreach (int e in top)
        {
            var ye = SwiGlu(h, $"blk.{l}.ffn_gate_exps.weight", $"blk.{l}.ffn_up_exps.weight", $"blk.{l}.ffn_down_exps.weight", e);
            for (int i = 0; i < y.Length; i++) y[i] += probs[e] / norm * ye[i];
        }
        return y;
    }

    /// <summary>down(silu(gate·h) ⊙ up·h); for expert stacks, expert e is the e-th contiguous slab.</summary>
    private double[] SwiGlu(double[] h, string gate, string up, string down, int expert)
    {
        int d = _hp.EmbeddingLength, ff = _hp.FeedForwardLength;
        var g = MatVec(_w[gate], h, ff, expert * ff * d);
        var u = MatVec(_w[up], h, ff, expert * ff * d);
        var a = g.Select((gi, i) => gi / (1 + Math.Exp(-gi)) * u[i]).ToArray();
        return MatVec(_w[down], a, d, expert * d * ff);
    }

    /// <summary>y = W·x for a ggml weight with ne = [x.Length, rows], stored as rows of x.Length floats.</summary>
    private static double[] MatVec(float[] w, double[] x, int rows, int offset = 0)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double s = 0;
            int row = offset + r * x.Length;
            for (int i = 0; i < x.Length; i++) s += w[row + i] * x[i];
            y[r] = s;
        }
        return y;
    }

    private double[] RmsNorm(double[] x, float[] gain)
    {
        double ms = x.Sum(v => v * v) / x.Length;
        double inv = 1 / Math.Sqrt(ms + _hp.RmsNormEpsilon);
        return x.Select((v, i) => v * inv * gain[i]).ToArray();
    }

    private static double[] Row(float[] m, int row, int width) => m.AsSpan(row * width, width).ToArray().Select(f => (double)f).ToArray();
    private static void Add(double[] x, double[] y) { for (int i = 0; i < x.Length; i++) x[i] += y[i]; }

    private static double[] Softmax(double[] z)
    {
        double max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    private static double[] LogSoftmax(double[] z)
    {
        double max = z.Max();
        double lse = max + Math.Log(z.Sum(v => Math.Exp(v - max)));
        return z.Select(v => v - lse).ToArray();
    }
}
