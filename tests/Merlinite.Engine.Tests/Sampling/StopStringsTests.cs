using Merlinite.Engine.Core;

namespace Merlinite.Engine.Tests.Sampling;

public class StopStringsTests
{
    [Fact]
    public void A_stop_string_split_across_pieces_is_found_where_it_starts()
    {
        var stops = new StopStrings(["\n\nUser:"]);
        string text = "";
        int found = -1;
        foreach (var piece in new[] { "Hello", " there", "\n", "\nUs", "er:", " more" })
        {
            text += piece;
            found = stops.Find(text, piece.Length);
            if (found >= 0) break;
        }
        Assert.Equal("Hello there".Length, found);
    }

    [Fact]
    public void The_earliest_of_several_stops_wins_and_no_stops_never_match()
    {
        var stops = new StopStrings(["END", "ab"]);
        Assert.Equal(1, stops.Find("xabEND", 6));
        Assert.Equal(-1, stops.Find("nothing here", 12));
        Assert.False(new StopStrings([]).Any);
        Assert.Equal(-1, new StopStrings([]).Find("END", 3));
    }
}
