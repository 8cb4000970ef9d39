namespace Merlinite.Engine.Core;

/// <summary>Finds the first --stop string in text that grows piece by piece, looking only where a new match can
/// start.</summary>
public sealed class StopStrings(IReadOnlyList<string> stops)
{
    private readonly string[] _stops = stops.Where(s => s.Length > 0).ToArray();
    private readonly int _longest = stops.Count == 0 ? 0 : stops.Max(s => s.Length);

    public bool Any => _stops.Length > 0;

    /// <summary>Where the earliest stop string starts, or -1. <paramref name="appended"/> chars were just
    /// added.</summary>
    public int Find(string text, int appended)
    {
        if (_stops.Length == 0) return -1;
        int from = Math.Max(0, text.Length - appended - _longest + 1);
        int best = -1;
        foreach (var stop in _stops)
        {
            int at = text.IndexOf(stop, from, StringComparison.Ordinal);
            if (at >= 0 && (best < 0 || at < best)) best = at;
        }
        return best;
    }

    /// <summary>Length of the longest end of <paramref name="text"/> that is the beginning of a stop string (text a
    /// stream must hold back until the next piece shows whether a stop string follows).</summary>
    public int PartialSuffix(string text)
    {
        int best = 0;
        foreach (var stop in _stops)
            for (int n = Math.Min(stop.Length - 1, text.Length); n > best; n--)
                if (text.AsSpan(text.Length - n).SequenceEqual(stop.AsSpan(0, n))) { best = n; break; }
        return best;
    }
}
