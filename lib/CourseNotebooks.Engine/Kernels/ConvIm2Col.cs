using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine.Kernels;

/// <summary>im2col and col2im: the unfolding that turns a convolution into one matrix product (GEMM).</summary>
internal static partial class ConvCore
{
    // ---------- im2col / col2im ----------

    /// <summary>
    /// Unfolds x [channels, H, W] into cols [channels * KH * KW, OH * OW]: row (c, kh, kw), column (oh, ow) holds
    /// x[c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW], or 0 where that falls into the padding. Every entry is written.
    /// </summary>
    public static void Im2Col<T>(in ConvGeometry g, ReadOnlySpan<T> x, int channels, int h, int w, int oh, int ow, Span<T> cols)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int row = 0;
        for (int c = 0; c < channels; c++)
            for (int kh = 0; kh < g.KH; kh++)
                for (int kw = 0; kw < g.KW; kw++, row++)
                {
                    var dst = cols.Slice(row * oh * ow, oh * ow);
                    int offW = kw * g.DW - g.PW;
                    var (owStart, owEnd) = ValidRange(offW, g.SW, w, ow);
                    for (int i = 0; i < oh; i++)
                    {
                        var line = dst.Slice(i * ow, ow);
                        int ih = i * g.SH - g.PH + kh * g.DH;
                        if ((uint)ih >= (uint)h || owStart >= owEnd) { line.Clear(); continue; }
                        line[..owStart].Clear();
                        line[owEnd..].Clear();
                        var src = x.Slice((c * h + ih) * w, w);
                        if (g.SW == 1) src.Slice(owStart + offW, owEnd - owStart).CopyTo(line[owStart..owEnd]);
                        else for (int j = owStart; j < owEnd; j++) line[j] = src[j * g.SW + offW];
                    }
                }
    }

    /// <summary>The adjoint of <see cref="Im2Col{T}"/>: adds each column entry back onto the pixel it came from.</summary>
    public static void Col2Im<T>(in ConvGeometry g, ReadOnlySpan<T> cols, int channels, int h, int w, int oh, int ow, Span<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int row = 0;
        for (int c = 0; c < channels; c++)
            for (int kh = 0; kh < g.KH; kh++)
                for (int kw = 0; kw < g.KW; kw++, row++)
                {
                    var srcRow = cols.Slice(row * oh * ow, oh * ow);
                    int offW = kw * g.DW - g.PW;
                    var (owStart, owEnd) = ValidRange(offW, g.SW, w, ow);
                    if (owStart >= owEnd) continue;
                    for (int i = 0; i < oh; i++)
                    {
                        int ih = i * g.SH - g.PH + kh * g.DH;
                        if ((uint)ih >= (uint)h) continue;
                        var line = srcRow.Slice(i * ow, ow);
                        var dst = x.Slice((c * h + ih) * w, w);
                        if (g.SW == 1)
                        {
                            var d = dst.Slice(owStart + offW, owEnd - owStart);
                            TensorPrimitives.Add(d, line[owStart..owEnd], d);
                        }
                        else for (int j = owStart; j < owEnd; j++) dst[j * g.SW + offW] += line[j];
                    }
                }
    }

    /// <summary>Output columns j in [start, end) with 0 &lt;= j*stride + offset &lt; size.</summary>
    private static (int Start, int End) ValidRange(int offset, int stride, int size, int count)
    {
        int start = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int end = size - offset <= 0 ? 0 : Math.Min(count, (size - offset - 1) / stride + 1);
        return (Math.Min(start, count), Math.Max(end, Math.Min(start, count)));
    }
}
