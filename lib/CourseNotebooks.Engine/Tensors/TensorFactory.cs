using System.Numerics;

namespace CourseNotebooks.Engine.Tensors;

/// <summary>
/// Creation helpers for <see cref="Tensor{T}"/>: from C# arrays (as typed on the slides), zeros, seeded random
/// values. Introduced in notebook 01-convolution. PyTorch: torch.tensor, torch.zeros, torch.randn, torch.rand, torch.arange.
/// </summary>
public static class Tensor
{
    /// <summary>A tensor of shape [n] from a vector.</summary>
    public static Tensor<T> FromArray<T>(T[] values) where T : unmanaged, IFloatingPointIeee754<T>
        => new((T[])values.Clone(), values.Length);

    /// <summary>A tensor of shape [rows, cols] from a matrix literal, e.g. the slide's 5x5 input.</summary>
    public static Tensor<T> FromArray<T>(T[,] values) where T : unmanaged, IFloatingPointIeee754<T>
        => new(Flatten<T>(values), values.GetLength(0), values.GetLength(1));

    /// <summary>A tensor of shape [a, b, c] from a rank-3 array.</summary>
    public static Tensor<T> FromArray<T>(T[,,] values) where T : unmanaged, IFloatingPointIeee754<T>
        => new(Flatten<T>(values), values.GetLength(0), values.GetLength(1), values.GetLength(2));

    /// <summary>A tensor of shape [a, b, c, d] from a rank-4 array.</summary>
    public static Tensor<T> FromArray<T>(T[,,,] values) where T : unmanaged, IFloatingPointIeee754<T>
        => new(Flatten<T>(values), values.GetLength(0), values.GetLength(1), values.GetLength(2), values.GetLength(3));

    /// <summary>A zero tensor.</summary>
    public static Tensor<T> Zeros<T>(params int[] shape) where T : unmanaged, IFloatingPointIeee754<T> => new(shape);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor<T> Full<T>(T value, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
        => new Tensor<T>(shape).Fill(value);

    /// <summary>0, 1, ..., n-1 reshaped to <paramref name="shape"/> (handy for index pictures).</summary>
    public static Tensor<T> Arange<T>(params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var t = new Tensor<T>(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = T.CreateTruncating(i);
        return t;
    }

    /// <summary>Standard normal values from a seeded generator (Box-Muller). PyTorch: torch.randn.</summary>
    public static Tensor<T> Randn<T>(Random random, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        var t = new Tensor<T>(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = T.CreateTruncating(NextGaussian(random));
        return t;
    }

    /// <summary>Uniform values in [low, high) from a seeded generator. PyTorch: torch.rand scaled.</summary>
    public static Tensor<T> Uniform<T>(Random random, double low, double high, params int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        var t = new Tensor<T>(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = T.CreateTruncating(low + (high - low) * random.NextDouble());
        return t;
    }

    /// <summary>One standard normal sample (Box-Muller), so every seeded stream is reproducible across runtimes.</summary>
    public static double NextGaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private static T[] Flatten<T>(Array values) where T : unmanaged
    {
        var flat = new T[values.Length];
        int i = 0;
        foreach (T v in values) flat[i++] = v;
        return flat;
    }
}
