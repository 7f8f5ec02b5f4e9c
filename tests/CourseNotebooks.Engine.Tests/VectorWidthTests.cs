using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using CourseNotebooks.Engine.Kernels;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// The lane semantics of the width operations the pooling kernels use, at all three widths, against element-wise
/// expectations. Every width runs whichever implementation this machine takes: the hardware shuffle where the
/// instruction exists (SSE, AVX/AVX2, AVX-512, NEON under environment/check-arm64), else the element-wise fallback
/// (here: 512 bits without AVX-512 composes the 256-bit operations, and with DOTNET_EnableAVX2=0 the 256-bit
/// shuffles compose the 128-bit ones).
/// </summary>
public class VectorWidthTests
{
    public static TheoryData<int> Widths => new() { 128, 256, 512 };

    [Theory]
    [MemberData(nameof(Widths))]
    public void LaneShufflesAndIntLanes_MatchTheirElementWiseDefinition(int bits)
    {
        switch (bits)
        {
            case 128: Check<Width128<float>, Vector128<float>>(Vector128.Create, v => { var a = new float[Vector128<float>.Count]; v.CopyTo(a); return a; }); break;
            case 256: Check<Width256<float>, Vector256<float>>(Vector256.Create, v => { var a = new float[Vector256<float>.Count]; v.CopyTo(a); return a; }); break;
            default: Check<Width512<float>, Vector512<float>>(Vector512.Create, v => { var a = new float[Vector512<float>.Count]; v.CopyTo(a); return a; }); break;
        }
    }

    private static void Check<TW, TVec>(Func<float[], TVec> make, Func<TVec, float[]> read)
        where TW : IVectorWidth<TVec, float> where TVec : unmanaged
    {
        int n = TW.Count;
        float[] x = Enumerable.Range(0, n).Select(i => 1f + i).ToArray();
        float[] y = Enumerable.Range(0, n).Select(i => 101f + i).ToArray();
        float[] xy = [.. x, .. y];
        float[] zip = Enumerable.Range(0, n).SelectMany(i => new[] { x[i], y[i] }).ToArray();
        var (vx, vy) = (make(x), make(y));
        Assert.Equal(Enumerable.Range(0, n).Select(i => xy[2 * i]), read(TW.Evens(vx, vy)));
        Assert.Equal(Enumerable.Range(0, n).Select(i => xy[2 * i + 1]), read(TW.Odds(vx, vy)));
        Assert.Equal(zip[..n], read(TW.InterleaveLower(vx, vy)));
        Assert.Equal(zip[n..], read(TW.InterleaveUpper(vx, vy)));

        static int[] Bits(float[] v) => v.Select(BitConverter.SingleToInt32Bits).ToArray();
        Assert.Equal(Enumerable.Range(0, n), Bits(read(TW.IntIndices)));
        var sevens = TW.IntAdd(TW.IntIndices, TW.IntBroadcast(7));
        Assert.Equal(Enumerable.Range(7, n), Bits(read(sevens)));
        // Equal where lane i holds 7 + i and the other vector 7 + (i rounded down to even): the even lanes.
        var evensOnly = TW.IntAdd(TW.IntBroadcast(7), TW.InterleaveLower(TW.IntAdd(TW.IntIndices, TW.IntIndices), TW.IntAdd(TW.IntIndices, TW.IntIndices)));
        Assert.Equal(Enumerable.Range(0, n).Select(i => i % 2 == 0 ? -1 : 0), Bits(read(TW.IntEquals(sevens, evensOnly))));

        // Compare and select with NaN on either side and ties.
        float[] a = Enumerable.Range(0, n).Select(i => (i % 4) switch { 0 => float.NaN, 1 => 1f, 2 => 2f, _ => -0f }).ToArray();
        float[] b = Enumerable.Range(0, n).Select(i => (i % 3) switch { 0 => 2f, 1 => float.NaN, _ => 0f }).ToArray();
        var (va, vb) = (make(a), make(b));
        Assert.Equal(Enumerable.Range(0, n).Select(i => a[i] > b[i] ? -1 : 0), Bits(read(TW.GreaterThan(va, vb))));
        Assert.Equal(Enumerable.Range(0, n).Select(i => float.IsNaN(a[i]) ? -1 : 0), Bits(read(TW.IsNaN(va))));
        var mask = TW.Or(TW.GreaterThan(va, vb), TW.IsNaN(va));
        Assert.Equal(Enumerable.Range(0, n).Select(i => BitConverter.SingleToInt32Bits(a[i] > b[i] || float.IsNaN(a[i]) ? a[i] : b[i])),
            Bits(read(TW.ConditionalSelect(mask, va, vb))));
        Assert.Equal(Enumerable.Range(0, n).Select(i => BitConverter.SingleToInt32Bits(a[i] > b[i] ? a[i] : 0f)),
            Bits(read(TW.And(TW.GreaterThan(va, vb), va))));
        Assert.Equal(Enumerable.Range(0, n).Select(i => BitConverter.SingleToInt32Bits(a[i] / b[i])), Bits(read(TW.Divide(va, vb))));
    }

    [Fact]
    public void LaneShuffles_RefuseElementTypesThatAreNot4Bytes()
    {
        Assert.Throws<NotSupportedException>(() => Width128<double>.Evens(Vector128<double>.One, Vector128<double>.One));
        Assert.Throws<NotSupportedException>(() => Width256<double>.InterleaveLower(Vector256<double>.One, Vector256<double>.One));
        Assert.Throws<NotSupportedException>(() => Width512<double>.IntBroadcast(1));
    }
}
