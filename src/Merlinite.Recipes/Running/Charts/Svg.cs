using System.Globalization;
using System.Security;
using System.Text;

namespace Merlinite.Recipes.Running.Charts;

/// <summary>A small SVG writer: the primitives the run charts draw with, numbers in invariant culture, text escaped.</summary>
public sealed class Svg
{
    public static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    private readonly StringBuilder _sb = new();
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public Svg(int width, int height, string title)
    {
        Width = width;
        Height = height;
        _sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n");
        _sb.Append(Inv, $"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n");
        Text(width / 2.0, 20, title, anchor: "middle", size: 15, weight: "bold");
    }

    public int Width { get; }
    public int Height { get; }

    public void Line(double x1, double y1, double x2, double y2, string stroke, double width = 1, string? dash = null) =>
        _sb.Append(Inv, $"<line x1=\"{x1:F1}\" y1=\"{y1:F1}\" x2=\"{x2:F1}\" y2=\"{y2:F1}\" stroke=\"{stroke}\" stroke-width=\"{width}\"{(dash is null ? "" : $" stroke-dasharray=\"{dash}\"")}/>\n");

    public void Polyline(IEnumerable<(double X, double Y)> points, string stroke, double width = 2, string? dash = null)
    {
        var list = points.ToList();
        if (list.Count < 2) return;
        _sb.Append(Inv, $"<polyline fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{width}\"{(dash is null ? "" : $" stroke-dasharray=\"{dash}\"")} points=\"{string.Join(' ', list.Select(p => string.Create(Inv, $"{p.X:F1},{p.Y:F1}")))}\"/>\n");
    }

    public void Circle(double x, double y, double r, string fill, double opacity = 1, string? tooltip = null) =>
        _sb.Append(Inv, $"<circle cx=\"{x:F1}\" cy=\"{y:F1}\" r=\"{r}\" fill=\"{fill}\"{(opacity < 1 ? $" fill-opacity=\"{opacity}\"" : "")}>{(tooltip is null ? "" : $"<title>{SecurityElement.Escape(tooltip)}</title>")}</circle>\n");

    public void Square(double x, double y, double size, string fill) =>
        _sb.Append(Inv, $"<rect x=\"{x - size / 2:F1}\" y=\"{y - size / 2:F1}\" width=\"{size}\" height=\"{size}\" fill=\"{fill}\"/>\n");

    public void Text(double x, double y, string text, string anchor = "start", double size = 12, string fill = "#222", string? weight = null, double rotate = 0) =>
        _sb.Append(Inv, $"<text x=\"{x:F1}\" y=\"{y:F1}\" text-anchor=\"{anchor}\" font-size=\"{size}\" fill=\"{fill}\"{(weight is null ? "" : $" font-weight=\"{weight}\"")}{(rotate != 0 ? $" transform=\"rotate({rotate} {x:F1} {y:F1})\"" : "")}>{SecurityElement.Escape(text)}</text>\n");

    /// <summary>A vertical axis at <paramref name="x"/> with grid lines across the plot, tick labels and a rotated title.</summary>
    public void YAxis(Axis axis, Plot plot, bool right, string title, bool grid)
    {
        double x = right ? plot.Right : plot.Left;
        Line(x, plot.Top, x, plot.Bottom, "#555");
        foreach (double t in axis.Ticks())
        {
            double y = plot.Y(axis, t);
            if (grid) Line(plot.Left, y, plot.Right, y, "#e5e5e5");
            Line(x, y, x + (right ? 4 : -4), y, "#555");
            Text(x + (right ? 7 : -7), y + 4, axis.Label(t), anchor: right ? "start" : "end");
        }
        double tx = right ? Width - 14 : 16;
        Text(tx, (plot.Top + plot.Bottom) / 2, title, anchor: "middle", rotate: right ? 90 : -90);
    }

    /// <summary>Legend entries in a row under the x axis title, wrapping when the row is full.</summary>
    public void Legend(IReadOnlyList<(string Label, string Color, bool Dashed)> entries, double left, double top)
    {
        double x = left, y = top;
        foreach (var (label, color, dashed) in entries)
        {
            double w = 34 + label.Length * 7;
            if (x + w > Width - 10) { x = left; y += 18; }
            Line(x, y - 4, x + 22, y - 4, color, 2.5, dashed ? "6 3" : null);
            Text(x + 27, y, label);
            x += w;
        }
    }

    public override string ToString() => _sb + "</svg>\n";
}

/// <summary>The plotting area of a chart, in pixels.</summary>
public sealed record Plot(double Left, double Top, double Right, double Bottom)
{
    public double Y(Axis axis, double v) => axis.Map(v, Bottom, Top);
    public double X(Axis axis, double v) => axis.Map(v, Left, Right);
}
