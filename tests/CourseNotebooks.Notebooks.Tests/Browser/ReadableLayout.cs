using System.Text.Json;
using CourseNotebooks.Host;

namespace CourseNotebooks.Notebooks.Tests.Browser;

/// <summary>
/// What makes a page of charts and printed output unreadable, measured in the browser after plotly has drawn: text
/// boxes of a chart that overlap (chart title, axis titles, captions and cell labels, the legend), image tiles
/// smaller than <see cref="MinTile"/> px, a legend over the plot or wider than the plot, a plot area below
/// <see cref="MinPlotWidth"/> x <see cref="MinPlotHeight"/> px, and lines that are cut off: printed output or prose
/// that runs past its box (behind a scrollbar that overlay-scrollbar systems do not even show), or any element that
/// hides its overflow without a scrollbar. Used on every report (<see cref="ReadableLayoutTests"/>) and on a page
/// with planted bad charts, which it must catch.
/// </summary>
internal static class ReadableLayout
{
    /// <summary>The smallest image tile a reader can make out (a 28x28 digit at 2 px a pixel is 56 px).</summary>
    public const int MinTile = 56;

    /// <summary>The smallest plot area of a chart with lines, bars or points (not a matrix sized to its cells).</summary>
    public const int MinPlotWidth = 300, MinPlotHeight = 200;

    /// <summary>A horizontal legend wraps at the plot's width; its box adds border and padding (a few px).</summary>
    private const int LegendPadding = 8;

    /// <summary>Text boxes may touch: overlaps up to this many square pixels are rounding, not collisions.</summary>
    private const int Slack = 6;

    /// <summary>
    /// Evaluated in the page: per chart its size, plot area, legend and smallest image tile, and the problems found
    /// (each "chart-id "title": what"); then the clipped lines of the page.
    /// </summary>
    public static readonly string Measure = $$"""
        (() => {
          const problems = [], charts = [];
          const area = (a, b) => Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left))
                               * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
          const clean = t => (t || '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
          for (const c of document.querySelectorAll('.{{HtmlReportWriter.ChartClass}}')) {
            const L = c._fullLayout;
            if (!L) continue;
            const given = c.layout && c.layout.title;
            const name = `${c.id} "${clean(typeof given === 'string' ? given : given && given.text).slice(0, 70)}"`;
            const div = c.getBoundingClientRect();
            const texts = [];
            const add = (kind, el) => {
              const r = el.getBoundingClientRect();
              const text = clean(el.textContent);
              if (r.width > 0 && r.height > 0 && text) texts.push({ kind, text: text.slice(0, 40), r });
            };
            c.querySelectorAll('text.gtitle').forEach(e => add('chart title', e));
            c.querySelectorAll('text').forEach(e => { if (/^[xy]\d*title$/.test(e.getAttribute('class') || '')) add('axis title', e); });
            [...c.querySelectorAll('g.annotation-text-g')].slice(0, 400).forEach(e => add('caption', e));
            const legendBg = c.querySelector('g.legend rect.bg');
            const legend = legendBg ? legendBg.getBoundingClientRect() : null;
            if (legend && legend.width > 0) texts.push({ kind: 'legend', text: '', r: legend });
            for (let i = 0; i < texts.length; i++)
              for (let j = i + 1; j < texts.length; j++)
                if (area(texts[i].r, texts[j].r) > {{Slack}})
                  problems.push(`${name}: ${texts[i].kind} "${texts[i].text}" overlaps ${texts[j].kind} "${texts[j].text}"`);
            const s = L._size;
            const plot = { left: div.left + s.l, top: div.top + s.t, right: div.left + s.l + s.w, bottom: div.top + s.t + s.h };
            if (legend && legend.width > 0) {
              if (area(legend, plot) > {{Slack}}) problems.push(`${name}: the legend (${legend.width.toFixed(0)}x${legend.height.toFixed(0)} px) lies over the plot`);
              // The legend's box carries its border and padding: up to LegendPadding px past the plot is not a wider legend.
              if (s.w + {{LegendPadding}} < legend.width) problems.push(`${name}: the plot is ${s.w.toFixed(0)} px wide, narrower than its legend (${legend.width.toFixed(0)} px)`);
            }
            let minTile = null, images = 0, plotted = 0;
            for (const t of c._fullData || []) {
              if (t.visible === false) continue;
              const xa = L[(t.xaxis || 'x').replace('x', 'xaxis')], ya = L[(t.yaxis || 'y').replace('y', 'yaxis')];
              if (t.type === 'heatmap' && xa && xa.visible === false) {
                images++;
                const tile = Math.min(xa._length, ya._length);
                minTile = minTile === null ? tile : Math.min(minTile, tile);
              } else if (t.type !== 'heatmap' && t.type !== 'contour') plotted++;
            }
            if (minTile !== null && Math.round(minTile) < {{MinTile}}) problems.push(`${name}: image tiles of ${minTile.toFixed(0)} px (at least {{MinTile}})`);
            if (plotted > 0 && (s.w < {{MinPlotWidth}} || s.h < {{MinPlotHeight}}))
              problems.push(`${name}: a plot area of ${s.w.toFixed(0)}x${s.h.toFixed(0)} px (at least {{MinPlotWidth}}x{{MinPlotHeight}})`);
            charts.push({ name, width: L.width, height: L.height, plotWidth: Math.round(s.w), plotHeight: Math.round(s.h),
                          legendWidth: legend ? Math.round(legend.width) : 0, images, minTile: minTile === null ? 0 : Math.round(minTile) });
          }
          for (const el of document.body.querySelectorAll('*')) {
            // KaTeX's MathML copy is for screen readers, hidden on purpose in a 1 px box.
            if (el.closest('svg, script, style, .katex-mathml, .{{HtmlReportWriter.ChartClass}}')) continue;
            if (el.clientWidth === 0 || el.scrollWidth <= el.clientWidth + 1) continue;
            const overflow = getComputedStyle(el).overflowX;
            const text = el.matches('pre.output, .error, p, li, h1, h2, h3, h4');
            if (text || overflow === 'hidden' || overflow === 'clip')
              problems.push(`a line is cut off in <${el.tagName.toLowerCase()} class="${el.className}"> (${el.scrollWidth} px of text in ${el.clientWidth} px, overflow ${overflow}): "${clean(el.textContent).slice(0, 80)}"`);
          }
          return { charts, problems };
        })()
        """;

    /// <summary>The charts measured (one line each) and the problems found on the page in <paramref name="tab"/>.</summary>
    public static async Task<(List<string> Charts, List<string> Problems)> MeasureAsync(BrowserTab tab)
    {
        var seen = await tab.EvaluateAsync(Measure);
        var charts = seen.GetProperty("charts").EnumerateArray().Select(c =>
            $"{c.GetProperty("name").GetString()}: {Number(c, "width")}x{Number(c, "height")} px, plot {c.GetProperty("plotWidth").GetInt32()}x{c.GetProperty("plotHeight").GetInt32()}" +
            (c.GetProperty("legendWidth").GetInt32() > 0 ? $", legend {c.GetProperty("legendWidth").GetInt32()} px wide" : "") +
            (c.GetProperty("images").GetInt32() > 0 ? $", {c.GetProperty("images").GetInt32()} image tiles of {c.GetProperty("minTile").GetInt32()} px or more" : "")).ToList();
        var problems = seen.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        return (charts, problems);
    }

    private static string Number(JsonElement chart, string key) =>
        chart.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString("0", System.Globalization.CultureInfo.InvariantCulture) : "?";
}
