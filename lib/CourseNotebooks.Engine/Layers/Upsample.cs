using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CourseNotebooks.Engine;

/// <summary>
/// Nearest-neighbour upsampling by integer factors: every input value is repeated in an SH x SW block (the
/// slide's "simply repeat the values", the alternative to unpooling). Planned for 
/// the part-3 notebook on unpooling and deconvolution (still to come; no notebook uses it yet). PyTorch: torch.nn.Upsample(scale_factor=s, mode='nearest') /
/// torch.nn.UpsamplingNearest2d.
/// </summary>
/// <remarks>
/// Input (N, C, H, W) or (C, H, W); output (N, C, H * SH, W * SW); output[.., y, x] = input[.., y / SH, x / SW]
/// (PyTorch's nearest rule floor(y * (1 / SH)) is the same for integer factors).
/// Backward sums the gradient over each SH x SW block.
/// </remarks>
public sealed class Upsample<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private int[]? _inputShape;

    /// <summary>The same integer factor for height and width.</summary>
    public Upsample(int scaleFactor) : this((scaleFactor, scaleFactor)) { }

    /// <summary>Integer factors (SH, SW).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A factor is not positive.</exception>
    public Upsample((int H, int W) scaleFactor)
    {
        ScaleFactor = scaleFactor;
        ShapeCheck.Positive(Name, "scaleFactor", Math.Min(scaleFactor.H, scaleFactor.W));
    }

    /// <summary>(SH, SW).</summary>
    public (int H, int W) ScaleFactor { get; }

    /// <inheritdoc />
    protected override string Describe() => $"Upsample(nearest, x{ScaleFactor.H}x{ScaleFactor.W})";

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        if (inputShape.Length is not (3 or 4))
            throw new ArgumentException(
                $"{Name}: input rank: expected 4 (N, C, H, W) or 3 (C, H, W), got {inputShape.Length} (input shape {Tensor<float>.ShapeText(inputShape)}).");
        return PoolGeometry.WithPlane(inputShape, inputShape[^2] * ScaleFactor.H, inputShape[^1] * ScaleFactor.W);
    }

    /// <inheritdoc />
    public override Tensor<T> Forward(Tensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var output = new Tensor<T>(OutputShape(input.Shape));
        int h = input.Shape[^2], w = input.Shape[^1], oh = output.Shape[^2], ow = output.Shape[^1];
        int sh = ScaleFactor.H, sw = ScaleFactor.W;
        int planes = PoolGeometry.Planes(input.Shape);
        T[] x = input.Data, y = output.Data;
        if (Implementation == Implementation.Naive)
        {
            for (int p = 0; p < planes; p++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                        y[(p * oh + i) * ow + j] = x[(p * h + i / sh) * w + j / sw];
        }
        else
        {
            for (int p = 0; p < planes; p++)
                for (int r = 0; r < h; r++)
                {
                    // Build the widened row once, then copy it to the other SH - 1 output rows.
                    var first = new Span<T>(y, (p * oh + r * sh) * ow, ow);
                    var src = new ReadOnlySpan<T>(x, (p * h + r) * w, w);
                    if (sw == 1) src.CopyTo(first);
                    else
                        for (int c = 0; c < w; c++) first.Slice(c * sw, sw).Fill(src[c]);
                    for (int k = 1; k < sh; k++) first.CopyTo(new Span<T>(y, (p * oh + r * sh + k) * ow, ow));
                }
        }
        _inputShape = input.Shape.ToArray();
        return output;
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        var inputShape = _inputShape ?? throw ShapeCheck.BackwardBeforeForward(Name);
        ShapeCheck.SameShape(Name, "output gradient", OutputShape(inputShape), outputGradient.Shape);
        var dX = new Tensor<T>(inputShape);
        int h = inputShape[^2], w = inputShape[^1], oh = h * ScaleFactor.H, ow = w * ScaleFactor.W;
        int sh = ScaleFactor.H, sw = ScaleFactor.W;
        int planes = PoolGeometry.Planes(inputShape);
        T[] dY = outputGradient.Data, dIn = dX.Data;
        if (Implementation == Implementation.Naive)
        {
            for (int p = 0; p < planes; p++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                        dIn[(p * h + i / sh) * w + j / sw] += dY[(p * oh + i) * ow + j];
        }
        else
        {
            for (int p = 0; p < planes; p++)
                for (int r = 0; r < h; r++)
                    for (int c = 0; c < w; c++)
                    {
                        T sum = T.Zero;
                        for (int k = 0; k < sh; k++)
                            sum += TensorPrimitives.Sum(new ReadOnlySpan<T>(dY, (p * oh + r * sh + k) * ow + c * sw, sw));
                        dIn[(p * h + r) * w + c] = sum;
                    }
        }
        return dX;
    }
}
