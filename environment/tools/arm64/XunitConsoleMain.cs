// Entry point of the engine tests when environment/check-arm64 publishes them for linux-arm64: runs xUnit's console
// runner (copied beside the tests) inside this self-contained arm64 process, so qemu-user can run the tests without
// an arm64 SDK. Not part of the normal build (see the condition in the test project).
using System.Reflection;

internal static class XunitConsoleMain
{
    private static int Main(string[] args)
    {
        string runner = Path.Combine(AppContext.BaseDirectory, "xunit.console.dll");
        if (!File.Exists(runner))
        {
            Console.Error.WriteLine($"xunit.console.dll is missing from {AppContext.BaseDirectory}: run environment/check-arm64");
            return 2;
        }
        MethodInfo entry = Assembly.LoadFrom(runner).EntryPoint!;
        return (int)entry.Invoke(null, [args])!;
    }
}
