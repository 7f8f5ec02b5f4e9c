using System.Numerics;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Convolution;

/// <summary>
/// "Actually, deconvolution is convolution" (the lecture's slide), as code: the pieces that turn a transposed
/// convolution into a plain one. A <see cref="ConvTranspose2d{T}"/> with stride s, padding p and output padding op
/// equals a stride-1 <see cref="Conv2d{T}"/> of the input with s - 1 zeros stuffed between its pixels
/// (<see cref="ZeroStuff{T}"/>), padded by k - 1 - p zeros (k - 1 - p + op at the bottom and right, <see cref="Pad{T}"/>),
/// with every kernel turned by 180 degrees and its channel roles swapped (<see cref="Rotate180{T}"/>).
/// Introduced in notebook 13-convolutional-autoencoder, which checks the identity in double precision.
/// </summary>
/// <remarks>
/// Shapes in the vocabulary of the layers: x [N, C, H, W], transposed-convolution weight [C, OutC, KH, KW].
/// <see cref="AsConvolution{T}"/> covers groups = 1 and dilation = 1 and needs p &lt;= k - 1 (otherwise the
/// "padding" would be a crop); those are the cases the notebook draws. Reference: Dumoulin and Visin, "A guide to
/// convolution arithmetic for deep learning" (2016), section 4.
/// </remarks>
public static class Deconvolution
{
    /// <summary>
    /// Inserts <paramref name="stride"/> - 1 zeros between neighbouring pixels of every plane:
    /// [N, C, H, W] to [N, C, (H - 1) s + 1, (W - 1) s + 1], with y[n, c, i s, j s] = x[n, c, i, j] and 0 elsewhere.
    /// Stride 1 returns a copy. PyTorch has no single op for it (x.new_zeros(...)[..., ::s, ::s] = x).
    /// </summary>
    /// <exception cref="ArgumentException">Not a rank-4 tensor, or a stride below 1.</exception>
    public static Tensor<T> ZeroStuff<T>(Tensor<T> x, int stride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckRank4("Deconvolution.ZeroStuff", x);
        ShapeCheck.Positive("Deconvolution.ZeroStuff", "stride", stride);
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        int oh = (h - 1) * stride + 1, ow = (w - 1) * stride + 1;
        var y = new Tensor<T>(n, c, oh, ow);
        for (int plane = 0; plane < n * c; plane++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    y.Data[(plane * oh + i * stride) * ow + j * stride] = x.Data[(plane * h + i) * w + j];
        return y;
    }

    /// <summary>
    /// Zero padding of every plane: <paramref name="before"/> rows above and columns to the left,
    /// <paramref name="after"/> rows below and columns to the right: [N, C, H, W] to
    /// [N, C, H + before + after, W + before + after]. PyTorch: F.pad(x, (before, after, before, after)).
    /// </summary>
    /// <exception cref="ArgumentException">Not a rank-4 tensor, or a negative amount.</exception>
    public static Tensor<T> Pad<T>(Tensor<T> x, int before, int after) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckRank4("Deconvolution.Pad", x);
        ShapeCheck.NonNegative("Deconvolution.Pad", "before", before);
        ShapeCheck.NonNegative("Deconvolution.Pad", "after", after);
        int n = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3);
        int oh = h + before + after, ow = w + before + after;
        var y = new Tensor<T>(n, c, oh, ow);
        for (int plane = 0; plane < n * c; plane++)
            for (int i = 0; i < h; i++)
                x.Data.AsSpan((plane * h + i) * w, w).CopyTo(y.Data.AsSpan((plane * oh + i + before) * ow + before, w));
        return y;
    }

    /// <summary>
    /// The convolution kernel that a transposed convolution's weight acts as: every KH x KW kernel turned by 180
    /// degrees and the two channel dimensions swapped, [C, OutC, KH, KW] to [OutC, C, KH, KW] with
    /// r[oc, c, kh, kw] = w[c, oc, KH - 1 - kh, KW - 1 - kw]. A rank-2 kernel [KH, KW] is only turned.
    /// PyTorch: w.flip(-2, -1).transpose(0, 1).
    /// </summary>
    /// <exception cref="ArgumentException">Neither rank 2 nor rank 4.</exception>
    public static Tensor<T> Rotate180<T>(Tensor<T> kernel) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(kernel);
        if (kernel.Rank != 2 && kernel.Rank != 4)
            throw new ArgumentException($"Deconvolution.Rotate180: kernel rank: expected 2 (KH, KW) or 4 (C, OutC, KH, KW), got {kernel.Rank} (shape {kernel.ShapeString}).", nameof(kernel));
        int kh = kernel.Size(kernel.Rank - 2), kw = kernel.Size(kernel.Rank - 1);
        int c = kernel.Rank == 4 ? kernel.Size(0) : 1, oc = kernel.Rank == 4 ? kernel.Size(1) : 1;
        var r = kernel.Rank == 4 ? new Tensor<T>(oc, c, kh, kw) : new Tensor<T>(kh, kw);
        for (int a = 0; a < c; a++)
            for (int b = 0; b < oc; b++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                        r.Data[((b * c + a) * kh + i) * kw + j] = kernel.Data[((a * oc + b) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)];
        return r;
    }

    /// <summary>
    /// A transposed convolution computed as a plain one: Conv2d(stride 1, no padding, no bias) of
    /// Pad(ZeroStuff(x, s), k - 1 - p, k - 1 - p + op) with Rotate180(weight). Equals
    /// ConvTranspose2d(C, OutC, k, s, p, op, bias: false) with the same weight. Output [N, OutC, OH, OW] with
    /// OH = (H - 1) s - 2 p + KH + op.
    /// </summary>
    /// <param name="x">[N, C, H, W].</param>
    /// <param name="weight">[C, OutC, KH, KW], the layout of <see cref="ConvNd{T}.Weight"/> in a <see cref="ConvTranspose2d{T}"/>.</param>
    /// <param name="stride">s, positive.</param>
    /// <param name="padding">p, from 0 to min(KH, KW) - 1.</param>
    /// <param name="outputPadding">op, non-negative and below the stride.</param>
    /// <exception cref="ArgumentException">Shapes that do not fit, or settings outside those ranges.</exception>
    public static Tensor<T> AsConvolution<T>(Tensor<T> x, Tensor<T> weight, int stride, int padding = 0, int outputPadding = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const string what = "Deconvolution.AsConvolution";
        CheckRank4(what, x);
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 4)
            throw new ArgumentException($"{what}: weight rank: expected 4 (C, OutC, KH, KW), got {weight.Rank} (shape {weight.ShapeString}).", nameof(weight));
        ShapeCheck.Dim(what, "input channels (weight dimension 0)", weight.Size(0), x.Size(1), x.Shape);
        int kh = weight.Size(2), kw = weight.Size(3);
        if (kh != kw)
            throw new ArgumentException($"{what}: expected a square kernel, got {kh}x{kw}.", nameof(weight));
        ShapeCheck.Positive(what, "stride", stride);
        if (padding < 0 || padding > kh - 1)
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{what}: padding: expected 0 to kernel size - 1 = {kh - 1}, got {padding}.");
        if (outputPadding < 0 || outputPadding >= stride)
            throw new ArgumentOutOfRangeException(nameof(outputPadding), outputPadding, $"{what}: output padding: expected 0 to stride - 1 = {stride - 1}, got {outputPadding}.");
        var input = Pad(ZeroStuff(x, stride), kh - 1 - padding, kh - 1 - padding + outputPadding);
        var rotated = Rotate180(weight);
        var conv = new Conv2d<T>(rotated.Size(1), rotated.Size(0), kh, bias: false, seed: 0);
        rotated.Data.AsSpan().CopyTo(conv.Weight.Value.Data);
        return conv.Forward(input);
    }

    private static void CheckRank4<T>(string what, Tensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4)
            throw new ArgumentException($"{what}: input rank: expected 4 (N, C, H, W), got {x.Rank} (shape {x.ShapeString}).", nameof(x));
    }
}
