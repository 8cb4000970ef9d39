namespace Merlinite.Engine.Evaluation;

/// <summary>The statistics evaluation reports: means with their standard errors, and correlations across rounds.</summary>
public static class EvalStats
{
    public static double Mean(IReadOnlyList<double> x) => x.Count == 0 ? double.NaN : x.Average();

    /// <summary>Standard error of the mean, sample standard deviation / sqrt(n) (lm-eval's); for 0/1 scores that is
    /// sqrt(p(1-p)/(n-1)). NaN below two values.</summary>
    public static double StdErr(IReadOnlyList<double> x)
    {
        if (x.Count < 2) return double.NaN;
        double mean = x.Average();
        double variance = x.Sum(v => (v - mean) * (v - mean)) / (x.Count - 1);
        return Math.Sqrt(variance / x.Count);
    }

    /// <summary>Pearson's r; NaN with fewer than two pairs or when either side is constant.</summary>
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException("the two series differ in length");
        if (x.Count < 2) return double.NaN;
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Spearman's rho: Pearson's r of the ranks, tied values sharing their average rank.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y) => Pearson(Ranks(x), Ranks(y));

    public static double[] Ranks(IReadOnlyList<double> x)
    {
        var order = Enumerable.Range(0, x.Count).OrderBy(i => x[i]).ToArray();
        var ranks = new double[x.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && x[order[end + 1]] == x[order[start]]) end++;
            double rank = (start + end) / 2.0 + 1;
            for (int i = start; i <= end; i++) ranks[order[i]] = rank;
            start = end + 1;
        }
        return ranks;
    }
}
