using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CourseNotebooks.Engine;

/// <summary>
/// One vector width as a type, so a kernel is written once as a generic method over <typeparamref name="TVec"/>
/// and the JIT compiles one specialised copy per width (struct type arguments are never shared): the 512-bit copy
/// on AVX-512, the 256-bit copy on AVX2, the 128-bit copy on SSE-only x64 and on ARM64 (NEON). The operations are
/// the few a register-tiled kernel needs.
/// </summary>
/// <remarks>
/// <see cref="MultiplyAdd"/> is x·y + z as one fused instruction where the CPU has FMA (x64 with FMA3, every ARM64)
/// and a multiply and an add where it does not, never the slow software emulation that an exact
/// FusedMultiplyAdd falls back to (Vector128/256/512.MultiplyAddEstimate). Element types other than float and double
/// multiply and add.
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
}
