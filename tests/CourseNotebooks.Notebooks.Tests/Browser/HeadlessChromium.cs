using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CourseNotebooks.Notebooks.Tests.Browser;

/// <summary>
/// A headless Chromium driven over the DevTools protocol (a WebSocket and JSON, both in the BCL): opens a page,
/// records every request the page makes, evaluates script in it and takes a full-page screenshot. Name resolution
/// is switched off for the whole browser, so nothing a page asks of the network can arrive.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    /// <summary>Where to look for the browser: COURSE_CHROMIUM, then these names on the PATH.</summary>
    private static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly ConcurrentQueue<(string? Session, string Method, JsonElement Params)> _events = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _send = new(1, 1);
    private Task _receiver = Task.CompletedTask;
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>The browser's executable, or null when none is installed.</summary>
    public static string? Find()
    {
        if (Environment.GetEnvironmentVariable("COURSE_CHROMIUM") is { Length: > 0 } given) return File.Exists(given) ? given : null;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (string name in Names)
                if (File.Exists(Path.Combine(dir, name))) return Path.Combine(dir, name);
        return null;
    }

    /// <summary>Starts the browser and connects to it.</summary>
    public static async Task<HeadlessChromium> LaunchAsync(string executable, TimeSpan timeout)
    {
        string profile = Directory.CreateTempSubdirectory("course-chromium-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            ArgumentList =
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update", "--disable-extensions",
                "--hide-scrollbars", "--mute-audio",
                // Every host name fails to resolve: the network is cut for the page, whatever it asks for.
                "--host-resolver-rules=MAP * ~NOTFOUND",
                "--remote-debugging-port=0", $"--user-data-dir={profile}", "about:blank",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        // The browser's chatter goes nowhere, but must be read so it never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        var browser = new HeadlessChromium(process, profile);
        try
        {
            string portFile = Path.Combine(profile, "DevToolsActivePort");
            var clock = Stopwatch.StartNew();
            string[] lines = [];
            while (lines.Length < 2)
            {
                if (process.HasExited) throw new InvalidOperationException($"{executable} exited with code {process.ExitCode} before it opened its DevTools port");
                if (clock.Elapsed > timeout) throw new TimeoutException($"{executable} did not write {portFile} within {timeout.TotalSeconds:0} s");
                await Task.Delay(50);
                if (File.Exists(portFile)) lines = (await File.ReadAllLinesAsync(portFile)).Where(l => l.Length > 0).ToArray();
            }
            await browser._socket.ConnectAsync(new Uri($"ws://127.0.0.1:{lines[0]}{lines[1]}"), CancellationToken.None);
            browser._receiver = Task.Run(browser.ReceiveLoopAsync);
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Opens <paramref name="url"/> in a new tab of <paramref name="width"/> CSS pixels, waits for its load event and
    /// then until <paramref name="ready"/> (a script expression) is true, and returns the tab.
    /// </summary>
    public async Task<BrowserTab> OpenAsync(string url, string ready, TimeSpan timeout, int width = 1200)
    {
        var target = await SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" });
        string targetId = target.GetProperty("targetId").GetString()!;
        var attached = await SendAsync("Target.attachToTarget", new JsonObject { ["targetId"] = targetId, ["flatten"] = true });
        var tab = new BrowserTab(this, attached.GetProperty("sessionId").GetString()!);
        await tab.SendAsync("Network.enable");
        await tab.SendAsync("Page.enable");
        await tab.SendAsync("Runtime.enable");
        await tab.SendAsync("Emulation.setDeviceMetricsOverride",
            new JsonObject { ["width"] = width, ["height"] = 900, ["deviceScaleFactor"] = 1, ["mobile"] = false });
        var clock = Stopwatch.StartNew();
        var navigated = await tab.SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        if (navigated.TryGetProperty("errorText", out var error))
            throw new InvalidOperationException($"navigating to {url} failed: {error.GetString()}");
        while (!tab.Events("Page.loadEventFired").Any())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"{url} did not finish loading within {timeout.TotalSeconds:0} s");
            await Task.Delay(50);
        }
        while (!(await tab.EvaluateAsync(ready)).GetBoolean())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"{url}: '{ready}' was still false after {timeout.TotalSeconds:0} s");
            await Task.Delay(100);
        }
        return tab;
    }

    /// <summary>Sends one DevTools command (to a tab when <paramref name="session"/> is set) and returns its result.</summary>
    internal async Task<JsonElement> SendAsync(string method, JsonObject? parameters = null, string? session = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
        if (session is not null) message["sessionId"] = session;
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        await _send.WaitAsync();
        try { await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None); }
        finally { _send.Release(); }
        var done = await Task.WhenAny(reply.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        if (done != reply.Task) throw new TimeoutException($"DevTools command {method} got no answer in 60 s");
        return await reply.Task;
    }

    /// <summary>The events received so far for one tab.</summary>
    internal IEnumerable<(string Method, JsonElement Params)> EventsOf(string session) =>
        _events.Where(e => e.Session == session).Select(e => (e.Method, e.Params));

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
            {
                var received = await _socket.ReceiveAsync(buffer, _stop.Token);
                if (received.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, received.Count);
                if (!received.EndOfMessage) continue;
                using (var doc = JsonDocument.Parse(message.ToArray()))
                {
                    var root = doc.RootElement.Clone();
                    if (root.TryGetProperty("id", out var id) && _pending.TryRemove(id.GetInt32(), out var reply))
                    {
                        if (root.TryGetProperty("error", out var error))
                            reply.SetException(new InvalidOperationException($"DevTools error: {error}"));
                        else
                            reply.SetResult(root.GetProperty("result"));
                    }
                    else if (root.TryGetProperty("method", out var method))
                    {
                        string? session = root.TryGetProperty("sessionId", out var s) ? s.GetString() : null;
                        _events.Enqueue((session, method.GetString()!, root.TryGetProperty("params", out var p) ? p : default));
                    }
                }
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
        foreach (var reply in _pending.Values) reply.TrySetException(new InvalidOperationException("the browser connection closed"));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _receiver; } catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
        _socket.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>One open tab: its requests, script evaluation and screenshots.</summary>
internal sealed class BrowserTab(HeadlessChromium browser, string session)
{
    /// <summary>This tab's events of one kind, in order.</summary>
    public IEnumerable<JsonElement> Events(string method) =>
        browser.EventsOf(session).Where(e => e.Method == method).Select(e => e.Params);

    /// <summary>Every URL the page requested (its own document included), in order.</summary>
    public IReadOnlyList<string> RequestedUrls =>
        Events("Network.requestWillBeSent").Select(p => p.GetProperty("request").GetProperty("url").GetString()!).ToList();

    /// <summary>Messages the page logged as errors, and uncaught exceptions.</summary>
    public IReadOnlyList<string> Errors =>
        Events("Runtime.exceptionThrown").Select(p => p.GetProperty("exceptionDetails").ToString())
            .Concat(Events("Runtime.consoleAPICalled").Where(p => p.GetProperty("type").GetString() == "error").Select(p => p.GetProperty("args").ToString()))
            .ToList();

    /// <summary>Sends a command to this tab.</summary>
    public Task<JsonElement> SendAsync(string method, JsonObject? parameters = null) => browser.SendAsync(method, parameters, session);

    /// <summary>Evaluates a script expression in the page and returns its value (as JSON).</summary>
    public async Task<JsonElement> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result.TryGetProperty("exceptionDetails", out var failure))
            throw new InvalidOperationException($"script failed in the page: {failure}\nscript: {expression}");
        var value = result.GetProperty("result");
        return value.TryGetProperty("value", out var v) ? v : default;
    }

    /// <summary>A PNG of the whole page (up to <paramref name="maxHeight"/> CSS pixels tall).</summary>
    public async Task<byte[]> ScreenshotAsync(int maxHeight = 16000)
    {
        var metrics = await SendAsync("Page.getLayoutMetrics");
        var size = metrics.GetProperty("cssContentSize");
        double width = size.GetProperty("width").GetDouble(), height = Math.Min(maxHeight, size.GetProperty("height").GetDouble());
        var shot = await SendAsync("Page.captureScreenshot", new JsonObject
        {
            ["format"] = "png",
            ["captureBeyondViewport"] = true,
            ["clip"] = new JsonObject { ["x"] = 0, ["y"] = 0, ["width"] = width, ["height"] = height, ["scale"] = 1 },
        });
        return Convert.FromBase64String(shot.GetProperty("data").GetString()!);
    }
}
