using CourseNotebooks.Charts;
using CourseNotebooks.Cli;
using CourseNotebooks.Display;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Notebooks.Tests.Browser;

/// <summary>
/// The map with images on hover of notebook 11-tsne-maps (<see cref="HoverImageMap"/>), opened in headless Chromium with
/// the page's plotly.js: the chart draws, the image panel sits beside it, and a hover over a point moves the sprite
/// sheet to that point's image.
/// </summary>
[Collection(NotebookCollection.Name)]
public sealed class HoverImageMapBrowserTests(NotebookFixture fixture)
{
    [FactWhenBrowser]
    public async Task HoveringAPoint_ShowsItsImage()
    {
        await fixture.BuildLibraryOnceAsync();
        string? plotly = PlotlyScript.Read(Path.Combine(fixture.Root, "artifacts", "notebook-lib"), out string? problem);
        Assert.True(plotly is not null, problem);
        CourseDisplay.Install();
        var map = new Tensor<double>(120, 2);
        for (int i = 0; i < 120; i++) { map[i, 0] = i % 12; map[i, 1] = i / 12; }
        int[] labels = [.. Enumerable.Range(0, 120).Select(i => i % 3)];
        var images = Tensor.Uniform<float>(new Random(3), 0, 1, 120, 1, 28, 28);
        var hover = Charts.Charts.WithHoverImages(Charts.Charts.Map("test map", map, labels, ["a", "b", "c"]), images);
        // Through the kernel's formatter, as a notebook shows it.
        string html = DisplayTests.Render(hover, MimeTypes.Html);
        Assert.StartsWith("<div id=\"course-chart-", html);

        string folder = Directory.CreateTempSubdirectory("course-hover-map-").FullName;
        string path = Path.Combine(folder, "hover.html");
        File.WriteAllText(path, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><script>"
            + plotly.Replace("</script", "<\\/script", StringComparison.Ordinal) + "</script></head>\n<body>\n" + html + "\n</body></html>\n");
        string page = new Uri(path).AbsoluteUri;

        await using var browser = await HeadlessChromium.LaunchAsync(HeadlessChromium.Find()!, TimeSpan.FromSeconds(30));
        var tab = await browser.OpenAsync(page,
            $"document.querySelector('.{ChartHtml.ChartClass} svg.main-svg') !== null && document.querySelector('[data-hover=ready]') !== null", TimeSpan.FromSeconds(60));
        // Point 57 belongs to class 0 (57 mod 3), the first trace; plotly's hover event carries its customdata.
        var state = await tab.EvaluateAsync("""
            (() => {
              const chart = document.querySelector('.course-chart');
              const panel = document.querySelector('.course-hover-image');
              const sameRow = chart.parentNode === panel.parentNode.parentNode;
              chart.emit('plotly_hover', { points: [{ customdata: 57, text: 'b, point #57' }] });
              return { sameRow, height: chart.getBoundingClientRect().height, position: panel.style.backgroundPosition,
                       caption: document.querySelector('.course-hover-caption').textContent };
            })()
            """);
        Assert.True(state.GetProperty("sameRow").GetBoolean(), "the image panel is not beside the chart");
        Assert.InRange(state.GetProperty("height").GetDouble(), 540, 580);   // the layout's 560 px
        int size = 28 * HoverImageMap.Zoom;
        Assert.Equal($"-{57 % HoverImageMap.SpriteColumns * size}px -{57 / HoverImageMap.SpriteColumns * size}px", state.GetProperty("position").GetString());
        Assert.Equal("b, point #57", state.GetProperty("caption").GetString());
        Assert.Empty(tab.Errors);
    }
}
