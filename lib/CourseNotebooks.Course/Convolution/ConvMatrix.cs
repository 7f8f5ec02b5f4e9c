using System.Numerics;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Convolution;

/// <summary>
/// A convolution written as the dense matrix it is: for one sample, <c>vec(conv(x)) = M vec(x) + b</c> with
/// vec the row-major flattening, M of size (OutC OH OW) x (C H W). The matrix shows why a CNN is a sparse MLP with
/// shared weights: most entries are structural zeros, and every nonzero is a copy of one of the few kernel weights.
/// Built by <see cref="ConvMatrix.Of{T}(Conv2d{T}, int, int)"/> or <see cref="ConvMatrix.OfKernel{T}"/>.
/// Introduced in notebook 05-cnn-as-sparse-mlp.
/// </summary>
/// <remarks>
/// Row r = (oc OH + i) OW + j is output pixel (oc, i, j); column q = (c H + h) W + w is input pixel (c, h, w).
/// For one input and one output channel, M is doubly block Toeplitz: an OH x H grid of OW x W blocks where block
/// (i, h) is the Toeplitz matrix of kernel row kh = (h - i SH + PH) / DH (zero when that is not a kernel row); at
/// stride 1 each block is constant along its diagonals, and blocks are constant along the block diagonals.
/// </remarks>
/// <param name="Matrix">M, [OutC*OH*OW, C*H*W].</param>
/// <param name="WeightIndex">
/// Same size as M: the flat index into the weight tensor's data ((oc C/G + c) KH + kh) KW + kw of the weight that
/// entry holds, or -1 for a structural zero. With one channel in and out, index k is the slides' w_{k+1}.
/// </param>
/// <param name="Bias">b repeated over each output channel's OH*OW rows, [OutC*OH*OW], or null without bias.</param>
/// <param name="InputShape">(C, H, W).</param>
/// <param name="OutputShape">(OutC, OH, OW).</param>
public sealed record ConvMatrix<T>(Tensor<T> Matrix, int[,] WeightIndex, Tensor<T>? Bias, (int C, int H, int W) InputShape,
    (int OutC, int OH, int OW) OutputShape)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Entries that hold a weight (structural nonzeros; a weight that happens to be 0 still counts).</summary>
    public int Nonzeros { get; } = CountNonzeros(WeightIndex);

    /// <summary>All entries: rows times columns.</summary>
    public int Total => WeightIndex.Length;

    /// <summary>Nonzeros / Total: the fraction of a dense layer's connections the convolution keeps.</summary>
    public double Density => Total == 0 ? 0 : (double)Nonzeros / Total;

    /// <summary>M vec(x) + b reshaped to [OutC, OH, OW], for x [C, H, W] or [1, C, H, W]: the layer's output, computed as a dense layer would.</summary>
    /// <exception cref="ArgumentException">x does not have C*H*W elements.</exception>
    public Tensor<T> Apply(Tensor<T> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int rows = Matrix.Size(0), cols = Matrix.Size(1);
        if (x.Length != cols)
            throw new ArgumentException(
                $"ConvMatrix: input elements: expected {cols} (C, H, W = {InputShape.C}, {InputShape.H}, {InputShape.W}), got {x.Length} (input shape {x.ShapeString}).");
        var y = new Tensor<T>(OutputShape.OutC, OutputShape.OH, OutputShape.OW);
        if (Bias is not null) Bias.Data.CopyTo(y.Data, 0);
        Gemm.Multiply(false, false, rows, 1, cols, T.One, Matrix.Data, cols, x.Data, 1, Bias is null ? T.Zero : T.One, y.Data, 1);
        return y;
    }

    /// <summary>
    /// The kernel row kh that fills block (output row <paramref name="outRow"/>, input row <paramref name="inRow"/>) of the
    /// channel pair (<paramref name="outChannel"/>, <paramref name="inChannel"/>), or -1 when that block is all zeros.
    /// </summary>
    public int KernelRowOfBlock(int outRow, int inRow, int outChannel = 0, int inChannel = 0)
    {
        int ow = OutputShape.OW, w = InputShape.W;
        int rowBase = (outChannel * OutputShape.OH + outRow) * ow, colBase = (inChannel * InputShape.H + inRow) * w;
        for (int j = 0; j < ow; j++)
            for (int q = 0; q < w; q++)
            {
                int k = WeightIndex[rowBase + j, colBase + q];
                if (k >= 0) return k / KernelWidth % KernelHeight;
            }
        return -1;
    }

    /// <summary>The OW x W block of M linking output row <paramref name="outRow"/> to input row <paramref name="inRow"/> of one channel pair.</summary>
    public Tensor<T> Block(int outRow, int inRow, int outChannel = 0, int inChannel = 0)
    {
        int ow = OutputShape.OW, w = InputShape.W, cols = Matrix.Size(1);
        int rowBase = (outChannel * OutputShape.OH + outRow) * ow, colBase = (inChannel * InputShape.H + inRow) * w;
        var block = new Tensor<T>(ow, w);
        for (int j = 0; j < ow; j++)
            Array.Copy(Matrix.Data, (rowBase + j) * cols + colBase, block.Data, j * w, w);
        return block;
    }

    internal int KernelHeight { get; init; } = 1;

    internal int KernelWidth { get; init; } = 1;

    private static int CountNonzeros(int[,] index)
    {
        int count = 0;
        foreach (int k in index) if (k >= 0) count++;
        return count;
    }
}

/// <summary>
/// Builds the dense matrix of a convolution (see <see cref="ConvMatrix{T}"/>). Introduced in notebook
/// 05-cnn-as-sparse-mlp. PyTorch has no direct equivalent (torch.nn.functional.unfold gives the im2col view instead).
/// </summary>
public static class ConvMatrix
{
    /// <summary>The matrix of <paramref name="conv"/> (its current weights and bias) for one H x W input.</summary>
    /// <exception cref="ArgumentException">The input is smaller than the kernel.</exception>
    public static ConvMatrix<T> Of<T>(Conv2d<T> conv, int height, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(conv);
        var g = conv.Geometry;
        int oh = ConvArithmetic.OutputSize(conv.Name, "input height", height, g.KH, g.SH, g.PH, g.DH);
        int ow = ConvArithmetic.OutputSize(conv.Name, "input width", width, g.KW, g.SW, g.PW, g.DW);
        return Build(g, height, width, oh, ow, conv.Weight.Value.Data, conv.Bias?.Value.Data);
    }

    /// <summary>The single-channel, bias-free matrix of a KH x KW <paramref name="kernel"/> (the slides' picture).</summary>
    /// <exception cref="ArgumentException">The kernel is not 2-D, or the input is smaller than the kernel.</exception>
    public static ConvMatrix<T> OfKernel<T>(Tensor<T> kernel, int height, int width, int stride = 1, int padding = 0, int dilation = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ShapeCheck.Rank("ConvMatrix.OfKernel", kernel.Shape, 2, "KH, KW");
        var conv = new Conv2d<T>(1, 1, (kernel.Size(0), kernel.Size(1)), (stride, stride), (padding, padding), (dilation, dilation), bias: false, seed: 0);
        kernel.Data.CopyTo(conv.Weight.Value.Data, 0);
        return Of(conv, height, width);
    }

    private static ConvMatrix<T> Build<T>(ConvGeometry g, int h, int w, int oh, int ow, T[] weight, T[]? bias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = g.OutC * oh * ow, cols = g.C * h * w;
        var matrix = new Tensor<T>(rows, cols);
        var index = new int[rows, cols];
        for (int r = 0; r < rows; r++)
            for (int q = 0; q < cols; q++) index[r, q] = -1;
        for (int oc = 0; oc < g.OutC; oc++)
        {
            int c0 = oc / g.OCg * g.Cg;
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    int r = (oc * oh + i) * ow + j;
                    for (int c = 0; c < g.Cg; c++)
                        for (int kh = 0; kh < g.KH; kh++)
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int ih = i * g.SH - g.PH + kh * g.DH, iw = j * g.SW - g.PW + kw * g.DW;
                                if ((uint)ih >= (uint)h || (uint)iw >= (uint)w) continue;
                                int q = ((c0 + c) * h + ih) * w + iw;
                                int k = ((oc * g.Cg + c) * g.KH + kh) * g.KW + kw;
                                index[r, q] = k;
                                matrix.Data[r * cols + q] = weight[k];
                            }
                }
        }
        Tensor<T>? b = null;
        if (bias is not null)
        {
            b = new Tensor<T>(rows);
            for (int oc = 0; oc < g.OutC; oc++) Array.Fill(b.Data, bias[oc], oc * oh * ow, oh * ow);
        }
        return new ConvMatrix<T>(matrix, index, b, (g.C, h, w), (g.OutC, oh, ow)) { KernelHeight = g.KH, KernelWidth = g.KW };
    }
}
