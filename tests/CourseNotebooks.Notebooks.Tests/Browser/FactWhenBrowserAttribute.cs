using System.Runtime.CompilerServices;

namespace CourseNotebooks.Notebooks.Tests.Browser;

/// <summary>
/// A fact that needs a Chromium (Debian's package; .ci/run installs it). Without one it is skipped and says why,
/// so `dotnet test` still works on a machine with only the .NET SDK, unless COURSE_REQUIRE_BROWSER=1 (set by
/// .ci/run), where a missing browser fails the test instead of hiding it.
/// </summary>
public sealed class FactWhenBrowserAttribute : FactAttribute
{
    /// <summary>The variable that turns a missing browser from a skip into a failure.</summary>
    public const string RequireVariable = "COURSE_REQUIRE_BROWSER";

    public FactWhenBrowserAttribute([CallerMemberName] string test = "")
    {
        if (HeadlessChromium.Find() is null && Environment.GetEnvironmentVariable(RequireVariable) != "1")
        {
            Skip = "no Chromium on this machine (apt-get install chromium, or set COURSE_CHROMIUM): the reports were not opened in a browser";
            // A plain `dotnet test` prints skipped tests' names but not their reasons: the name carries it.
            DisplayName = $"{test} (not run: {Skip})";
        }
    }
}
