using CourseNotebooks.Engine.Kernels;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// Every width run proves its width: CI runs the engine tests once per vector width (.ci/run), switching widths with
/// the runtime's knobs, and sets COURSE_EXPECT_VECTOR_BITS to the width each run asks for. A knob that does nothing
/// (as DOTNET_EnableAVX512F=0 on .NET 10) would otherwise run the wide kernels again and call the narrow ones tested.
/// </summary>
public class ActiveWidthTests
{
    public const string Knob = "COURSE_EXPECT_VECTOR_BITS";

    [Fact]
    public void TheEnginesVectorWidth_IsTheOneThisRunAskedFor()
    {
        string? expected = Environment.GetEnvironmentVariable(Knob);
        int active = VectorWidths.ActiveBits;
        if (string.IsNullOrWhiteSpace(expected)) return; // nothing asked: a plain `dotnet test` runs at the machine's width.
        Assert.True(int.TryParse(expected, out int bits) && bits is 0 or 128 or 256 or 512,
            $"{Knob}={expected}: expected 128, 256, 512 (or 0 for no vector path)");
        Assert.True(bits == active,
            $"{Knob}={bits} asked for {bits}-bit vectors, but the engine runs {active}-bit ones (runtime reports: {VectorWidths.RuntimeFeatures()}; " +
            $"runtime knobs set: {Knobs()}): the knob that should select the width did nothing. On .NET 10 the knobs that work are " +
            "DOTNET_EnableAVX512=0 or DOTNET_PreferredVectorBitWidth=256 (256 bits) and DOTNET_EnableAVX2=0 (128 bits); DOTNET_EnableAVX512F=0 is ignored.");
    }

    private static string Knobs()
    {
        var set = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("DOTNET_Enable", StringComparison.OrdinalIgnoreCase) || k.StartsWith("DOTNET_PreferredVectorBitWidth", StringComparison.OrdinalIgnoreCase))
            .OrderBy(k => k, StringComparer.Ordinal).Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}").ToList();
        return set.Count == 0 ? "none" : string.Join(", ", set);
    }

    [Fact]
    public void ActiveBits_IsTheWidestAcceleratedWidth_AndWhatTheKernelsPick()
    {
        int active = VectorWidths.ActiveBits;
        Assert.Equal(Width512<float>.IsAccelerated ? 512 : Width256<float>.IsAccelerated ? 256 : Width128<float>.IsAccelerated ? 128 : 0, active);
        // The pooling kernel for a row wide enough for any width is the active width's.
        var expected = active switch { 512 => Pool2x2Kernel.Vector512, 256 => Pool2x2Kernel.Vector256, 128 => Pool2x2Kernel.Vector128, _ => Pool2x2Kernel.Scalar };
        Assert.Equal(expected, Pool2x2Vector.For<float>(64));
    }
}
