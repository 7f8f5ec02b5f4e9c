using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>
/// One vector width as a type, so a kernel is written once as a generic method over <typeparamref name="TVec"/>
/// and the JIT compiles one specialised copy per width (struct type arguments are never shared): the 512-bit copy
/// on AVX-512, the 256-bit copy on AVX2, the 128-bit copy on SSE-only x64 and on ARM64 (NEON). The operations are
/// the few a register-tiled kernel (convolution, GEMM) and a lane-shuffling kernel (the 2x2 pools) need.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="MultiplyAdd"/> is x·y + z as one fused instruction where the CPU has FMA (x64 with FMA3, every ARM64)
/// and a multiply and an add where it does not, never the slow software emulation that an exact
/// FusedMultiplyAdd falls back to (Vector128/256/512.MultiplyAddEstimate). Element types other than float and double
/// multiply and add.</para>
/// <para>The lane shuffles (<see cref="Evens"/>, <see cref="Odds"/>, <see cref="InterleaveLower"/>,
/// <see cref="InterleaveUpper"/>) and the integer operations (argmax offsets carried as int32 in the bits of a float
/// vector) only make sense for 4-byte <typeparamref name="T"/>, that is float: they throw NotSupportedException for
/// any other element type (a JIT-time constant check, free for float). Each width uses its own instructions (512:
/// AVX-512 two-table permutes; 256: AVX shuffles and unpacks with an AVX2 cross-lane permute; 128: SSE shuffles and
/// unpacks on x64, NEON unzip and zip on ARM64) and an element-wise fallback where they are missing: correct and slow,
/// reached only by a width that is not accelerated here.</para>
/// </remarks>
internal unsafe interface IVectorWidth<TVec, T>
    where TVec : unmanaged
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Elements per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Whether this width runs as real vector instructions here and supports <typeparamref name="T"/>.</summary>
    static abstract bool IsAccelerated { get; }

    /// <summary>
    /// Vector registers the CPU has at this width: 32 on AVX-512 and ARM64 (NEON), 16 on x64 below AVX-512. A kernel
    /// sizes its register tile by it; the value is a JIT-time constant, so branches on it cost nothing.
    /// </summary>
    static abstract int Registers { get; }

    static abstract TVec Load(T* source);

    static abstract void Store(TVec value, T* destination);

    static abstract TVec Broadcast(T value);

    static abstract TVec Add(TVec x, TVec y);

    static abstract TVec Multiply(TVec x, TVec y);

    /// <summary>The sum of the lanes of <paramref name="x"/>.</summary>
    static abstract T Sum(TVec x);

    /// <summary>x · y + z: fused where the hardware has FMA, multiply then add where it does not.</summary>
    static abstract TVec MultiplyAdd(TVec x, TVec y, TVec z);

    /// <summary>Lane-wise x / y.</summary>
    static abstract TVec Divide(TVec x, TVec y);

    /// <summary>All-ones lanes where x &gt; y (false when either is NaN), zero elsewhere.</summary>
    static abstract TVec GreaterThan(TVec x, TVec y);

    /// <summary>All-ones lanes where x is NaN, zero elsewhere.</summary>
    static abstract TVec IsNaN(TVec x);

    /// <summary>Bitwise x AND y.</summary>
    static abstract TVec And(TVec x, TVec y);

    /// <summary>Bitwise x OR y.</summary>
    static abstract TVec Or(TVec x, TVec y);

    /// <summary>Bitwise select: the bits of x where <paramref name="mask"/> has ones, of y where it has zeros.</summary>
    static abstract TVec ConditionalSelect(TVec mask, TVec x, TVec y);

    /// <summary>Lanes 0, 2, 4, .. of the concatenation x:y (4-byte T only).</summary>
    static abstract TVec Evens(TVec x, TVec y);

    /// <summary>Lanes 1, 3, 5, .. of the concatenation x:y (4-byte T only).</summary>
    static abstract TVec Odds(TVec x, TVec y);

    /// <summary>The first half of [x0, y0, x1, y1, ..]: x and y's lower halves interleaved (4-byte T only).</summary>
    static abstract TVec InterleaveLower(TVec x, TVec y);

    /// <summary>The second half of [x0, y0, x1, y1, ..]: x and y's upper halves interleaved (4-byte T only).</summary>
    static abstract TVec InterleaveUpper(TVec x, TVec y);

    /// <summary>int32 lanes [0, 1, 2, ..] in the vector's bits (4-byte T only).</summary>
    static abstract TVec IntIndices { get; }

    /// <summary>The int32 <paramref name="value"/> in every lane's bits (4-byte T only).</summary>
    static abstract TVec IntBroadcast(int value);

    /// <summary>Lane-wise int32 x + y, both read from the vectors' bits (4-byte T only).</summary>
    static abstract TVec IntAdd(TVec x, TVec y);

    /// <summary>All-ones lanes where the int32 bits of x and y are equal, zero elsewhere (4-byte T only).</summary>
    static abstract TVec IntEquals(TVec x, TVec y);

    /// <summary>Count int32 values from <paramref name="source"/> as the vector's bits (4-byte T only).</summary>
    static abstract TVec IntLoad(int* source);

    /// <summary>The vector's bits as Count int32 values at <paramref name="destination"/> (4-byte T only).</summary>
    static abstract void IntStore(TVec value, int* destination);
}

/// <summary>
/// The width the engine's vector kernels choose in this process: the widest of 512, 256 and 128 bits that runs as real
/// vector instructions for float (the choice of ConvDirect and Pool2x2Vector when a row is wide enough), or 0 when none
/// does. Fixed when the process starts: the runtime's knobs (DOTNET_EnableAVX512=0, DOTNET_PreferredVectorBitWidth,
/// DOTNET_EnableAVX2=0) decide it, so a test run or a benchmark can prove which width it ran at.
/// </summary>
internal static class VectorWidths
{
    /// <summary>512, 256, 128 or 0 (no accelerated width).</summary>
    public static int ActiveBits =>
        Width512<float>.IsAccelerated ? 512 : Width256<float>.IsAccelerated ? 256 : Width128<float>.IsAccelerated ? 128 : 0;

    /// <summary>The CPU's vector features as the runtime reports them, for a log line: "avx2 fma" and so on.</summary>
    public static string RuntimeFeatures()
    {
        var features = new List<string>();
        if (Avx512F.IsSupported) features.Add("avx512f");
        if (Avx2.IsSupported) features.Add("avx2");
        if (Fma.IsSupported) features.Add("fma");
        if (Sse2.IsSupported) features.Add("sse2");
        if (AdvSimd.IsSupported) features.Add("neon");
        return features.Count == 0 ? "none" : string.Join(' ', features);
    }
}

/// <summary>The throw of the 4-byte-only operations, out of line so the operations stay small enough to inline.</summary>
internal static class VectorWidthGuard
{
    /// <summary>Throws unless <typeparamref name="T"/> is 4 bytes wide; a JIT-time constant test, gone for float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FourBytes<T>()
    {
        if (Unsafe.SizeOf<T>() != 4) Throw(typeof(T));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(Type t) =>
        throw new NotSupportedException($"IVectorWidth: lane shuffles and int32 lanes need a 4-byte element type, got {t.Name}.");
}

/// <summary>512-bit vectors (AVX-512).</summary>
internal readonly unsafe struct Width512<T> : IVectorWidth<Vector512<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector512<T>.Count;
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Load(T* source) => Vector512.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<T> value, T* destination) => Vector512.Store(value, destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Broadcast(T value) => Vector512.Create(value);
    public static int Registers => 32;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Add(Vector512<T> x, Vector512<T> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Multiply(Vector512<T> x, Vector512<T> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector512<T> x) => Vector512.Sum(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        if (typeof(T) == typeof(float))
            return Vector512.MultiplyAddEstimate(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector512.MultiplyAddEstimate(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
        return x * y + z;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Divide(Vector512<T> x, Vector512<T> y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> GreaterThan(Vector512<T> x, Vector512<T> y) => Vector512.GreaterThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> IsNaN(Vector512<T> x) => ~Vector512.Equals(x, x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> And(Vector512<T> x, Vector512<T> y) => x & y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Or(Vector512<T> x, Vector512<T> y) => x | y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> ConditionalSelect(Vector512<T> mask, Vector512<T> x, Vector512<T> y) => Vector512.ConditionalSelect(mask, x, y);

    public static Vector512<T> IntIndices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get { VectorWidthGuard.FourBytes<T>(); return Vector512<int>.Indices.As<int, T>(); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> IntBroadcast(int value) { VectorWidthGuard.FourBytes<T>(); return Vector512.Create(value).As<int, T>(); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> IntAdd(Vector512<T> x, Vector512<T> y) { VectorWidthGuard.FourBytes<T>(); return (x.AsInt32() + y.AsInt32()).As<int, T>(); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> IntEquals(Vector512<T> x, Vector512<T> y) { VectorWidthGuard.FourBytes<T>(); return Vector512.Equals(x.AsInt32(), y.AsInt32()).As<int, T>(); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> IntLoad(int* source) { VectorWidthGuard.FourBytes<T>(); return Vector512.Load(source).As<int, T>(); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void IntStore(Vector512<T> value, int* destination) { VectorWidthGuard.FourBytes<T>(); Vector512.Store(value.AsInt32(), destination); }

    /// <summary>Two-table permute indices: lanes 0..15 pick from x, 16..31 from y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> EvenLanes() => Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Evens(Vector512<T> x, Vector512<T> y)
    {
        VectorWidthGuard.FourBytes<T>();
        if (Avx512F.IsSupported) return Avx512F.PermuteVar16x32x2(x.AsSingle(), EvenLanes(), y.AsSingle()).As<float, T>();
        return Vector512.Create(Width256<T>.Evens(x.GetLower(), x.GetUpper()), Width256<T>.Evens(y.GetLower(), y.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Odds(Vector512<T> x, Vector512<T> y)
    {
        VectorWidthGuard.FourBytes<T>();
        if (Avx512F.IsSupported) return Avx512F.PermuteVar16x32x2(x.AsSingle(), EvenLanes() + Vector512<int>.One, y.AsSingle()).As<float, T>();
        return Vector512.Create(Width256<T>.Odds(x.GetLower(), x.GetUpper()), Width256<T>.Odds(y.GetLower(), y.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> InterleaveLower(Vector512<T> x, Vector512<T> y)
    {
        VectorWidthGuard.FourBytes<T>();
        if (Avx512F.IsSupported)
            return Avx512F.PermuteVar16x32x2(x.AsSingle(), Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), y.AsSingle()).As<float, T>();
        return Vector512.Create(Width256<T>.InterleaveLower(x.GetLower(), y.GetLower()), Width256<T>.InterleaveUpper(x.GetLower(), y.GetLower()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> InterleaveUpper(Vector512<T> x, Vector512<T> y)
    {
        VectorWidthGuard.FourBytes<T>();
        if (Avx512F.IsSupported)
            return Avx512F.PermuteVar16x32x2(x.AsSingle(), Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), y.AsSingle()).As<float, T>();
        return Vector512.Create(Width256<T>.InterleaveLower(x.GetUpper(), y.GetUpper()), Width256<T>.InterleaveUpper(x.GetUpper(), y.GetUpper()));
    }
}

/// <summary>256-bit vectors (AVX2).</summary>
internal readonly unsafe struct Width256<T> : IVectorWidth<Vector256<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector256<T>.Count;
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Load(T* source) => Vector256.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<T> value, T* destination) => Vector256.Store(value, destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Broadcast(T value) => Vector256.Create(value);
    public static int Registers => 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Add(Vector256<T> x, Vector256<T> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Multiply(Vector256<T> x, Vector256<T> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector256<T> x) => Vector256.Sum(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> x, Vector256<T> y, Vector256<T> z)
    {
        if (typeof(T) == typeof(float))
            return Vector256.MultiplyAddEstimate(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector256.MultiplyAddEstimate(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
        return x * y + z;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Divide(Vector256<T> x, Vector256<T> y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> GreaterThan(Vector256<T> x, Vector256<T> y) => Vector256.GreaterThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> IsNaN(Vector256<T> x) => ~Vector256.Equals(x, x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> And(Vector256<T> x, Vector256<T> y) => x & y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Or(Vector256<T> x, Vector256<T> y) => x | y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> ConditionalSelect(Vector256<T> mask, Vector256<T> x, Vector256<T> y) => Vector256.ConditionalSelect(mask, x, y);

    public static Vector256<T> IntIndices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get { VectorWidthGuard.FourBytes<T>(); return Vector256<int>.Indices.As<int, T>(); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> IntBroadcast(int value) { VectorWidthGuard.FourBytes<T>(); return Vector256.Create(value).As<int, T>(); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> IntAdd(Vector256<T> x, Vector256<T> y) { VectorWidthGuard.FourBytes<T>(); return (x.AsInt32() + y.AsInt32()).As<int, T>(); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> IntEquals(Vector256<T> x, Vector256<T> y) { VectorWidthGuard.FourBytes<T>(); return Vector256.Equals(x.AsInt32(), y.AsInt32()).As<int, T>(); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> IntLoad(int* source) { VectorWidthGuard.FourBytes<T>(); return Vector256.Load(source).As<int, T>(); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void IntStore(Vector256<T> value, int* destination) { VectorWidthGuard.FourBytes<T>(); Vector256.Store(value.AsInt32(), destination); }

    // Avx.Shuffle picks within each 128-bit half ([x0 x2 y0 y2 | x4 x6 y4 y6] for the evens); the AVX2 permute of
    // 64-bit pairs (0, 2, 1, 3) then puts the x pairs before the y pairs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Evens(Vector256<T> x, Vector256<T> y)
    {
        VectorWidthGuard.FourBytes<T>();
        if (Avx2.IsSupported) return Avx2.Permute4x64(Avx.Shuffle(x.AsSingle(), y.AsSingle(), 0b10_00_10_00).AsDouble(), 0b11_01_10_00).As<double, T>();
        return Vector256.Create(Width128<T>.Evens(x.GetLower(), x.GetUpper()), Width128<T>.Evens(y.GetLower(), y.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Odds(Vector256<T> x, Vector256<T> y)
    {
        VectorWidthGuard.FourBytes<T>();
        if (Avx2.IsSupported) return Avx2.Permute4x64(Avx.Shuffle(x.AsSingle(), y.AsSingle(), 0b11_01_11_01).AsDouble(), 0b11_01_10_00).As<double, T>();
        return Vector256.Create(Width128<T>.Odds(x.GetLower(), x.GetUpper()), Width128<T>.Odds(y.GetLower(), y.GetUpper()));
    }

    // Avx.UnpackLow/High interleave within each 128-bit half ([x0 y0 x1 y1 | x4 y4 x5 y5] and [x2 y2 x3 y3 | x6 y6 x7 y7]);
    // Permute2x128 takes the two lower halves (0x20) or the two upper halves (0x31) of those.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> InterleaveLower(Vector256<T> x, Vector256<T> y)
    {
        VectorWidthGuard.FourBytes<T>();
        if (Avx.IsSupported)
            return Avx.Permute2x128(Avx.UnpackLow(x.AsSingle(), y.AsSingle()), Avx.UnpackHigh(x.AsSingle(), y.AsSingle()), 0x20).As<float, T>();
        return Vector256.Create(Width128<T>.InterleaveLower(x.GetLower(), y.GetLower()), Width128<T>.InterleaveUpper(x.GetLower(), y.GetLower()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> InterleaveUpper(Vector256<T> x, Vector256<T> y)
    {
        VectorWidthGuard.FourBytes<T>();
        if (Avx.IsSupported)
            return Avx.Permute2x128(Avx.UnpackLow(x.AsSingle(), y.AsSingle()), Avx.UnpackHigh(x.AsSingle(), y.AsSingle()), 0x31).As<float, T>();
        return Vector256.Create(Width128<T>.InterleaveLower(x.GetUpper(), y.GetUpper()), Width128<T>.InterleaveUpper(x.GetUpper(), y.GetUpper()));
    }
}

/// <summary>128-bit vectors (SSE on x64 without AVX2, NEON on ARM64).</summary>
internal readonly unsafe struct Width128<T> : IVectorWidth<Vector128<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector128<T>.Count;
    public static bool IsAccelerated => Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Load(T* source) => Vector128.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<T> value, T* destination) => Vector128.Store(value, destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Broadcast(T value) => Vector128.Create(value);
    public static int Registers => System.Runtime.Intrinsics.Arm.AdvSimd.Arm64.IsSupported ? 32 : 16;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Add(Vector128<T> x, Vector128<T> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Multiply(Vector128<T> x, Vector128<T> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static T Sum(Vector128<T> x) => Vector128.Sum(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> x, Vector128<T> y, Vector128<T> z)
    {
        if (typeof(T) == typeof(float))
            return Vector128.MultiplyAddEstimate(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double))
            return Vector128.MultiplyAddEstimate(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
        return x * y + z;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Divide(Vector128<T> x, Vector128<T> y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> GreaterThan(Vector128<T> x, Vector128<T> y) => Vector128.GreaterThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> IsNaN(Vector128<T> x) => ~Vector128.Equals(x, x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> And(Vector128<T> x, Vector128<T> y) => x & y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Or(Vector128<T> x, Vector128<T> y) => x | y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> ConditionalSelect(Vector128<T> mask, Vector128<T> x, Vector128<T> y) => Vector128.ConditionalSelect(mask, x, y);

    public static Vector128<T> IntIndices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get { VectorWidthGuard.FourBytes<T>(); return Vector128<int>.Indices.As<int, T>(); }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> IntBroadcast(int value) { VectorWidthGuard.FourBytes<T>(); return Vector128.Create(value).As<int, T>(); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> IntAdd(Vector128<T> x, Vector128<T> y) { VectorWidthGuard.FourBytes<T>(); return (x.AsInt32() + y.AsInt32()).As<int, T>(); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> IntEquals(Vector128<T> x, Vector128<T> y) { VectorWidthGuard.FourBytes<T>(); return Vector128.Equals(x.AsInt32(), y.AsInt32()).As<int, T>(); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> IntLoad(int* source) { VectorWidthGuard.FourBytes<T>(); return Vector128.Load(source).As<int, T>(); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void IntStore(Vector128<T> value, int* destination) { VectorWidthGuard.FourBytes<T>(); Vector128.Store(value.AsInt32(), destination); }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Evens(Vector128<T> x, Vector128<T> y)
    {
        VectorWidthGuard.FourBytes<T>();
        if (Sse.IsSupported) return Sse.Shuffle(x.AsSingle(), y.AsSingle(), 0b10_00_10_00).As<float, T>();
        if (AdvSimd.Arm64.IsSupported) return AdvSimd.Arm64.UnzipEven(x.AsSingle(), y.AsSingle()).As<float, T>();
        var (a, b) = (x.AsSingle(), y.AsSingle());
        return Vector128.Create(a[0], a[2], b[0], b[2]).As<float, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Odds(Vector128<T> x, Vector128<T> y)
    {
        VectorWidthGuard.FourBytes<T>();
        if (Sse.IsSupported) return Sse.Shuffle(x.AsSingle(), y.AsSingle(), 0b11_01_11_01).As<float, T>();
        if (AdvSimd.Arm64.IsSupported) return AdvSimd.Arm64.UnzipOdd(x.AsSingle(), y.AsSingle()).As<float, T>();
        var (a, b) = (x.AsSingle(), y.AsSingle());
        return Vector128.Create(a[1], a[3], b[1], b[3]).As<float, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> InterleaveLower(Vector128<T> x, Vector128<T> y)
    {
        VectorWidthGuard.FourBytes<T>();
        if (Sse.IsSupported) return Sse.UnpackLow(x.AsSingle(), y.AsSingle()).As<float, T>();
        if (AdvSimd.Arm64.IsSupported) return AdvSimd.Arm64.ZipLow(x.AsSingle(), y.AsSingle()).As<float, T>();
        var (a, b) = (x.AsSingle(), y.AsSingle());
        return Vector128.Create(a[0], b[0], a[1], b[1]).As<float, T>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> InterleaveUpper(Vector128<T> x, Vector128<T> y)
    {
        VectorWidthGuard.FourBytes<T>();
        if (Sse.IsSupported) return Sse.UnpackHigh(x.AsSingle(), y.AsSingle()).As<float, T>();
        if (AdvSimd.Arm64.IsSupported) return AdvSimd.Arm64.ZipHigh(x.AsSingle(), y.AsSingle()).As<float, T>();
        var (a, b) = (x.AsSingle(), y.AsSingle());
        return Vector128.Create(a[2], b[2], a[3], b[3]).As<float, T>();
    }
}
