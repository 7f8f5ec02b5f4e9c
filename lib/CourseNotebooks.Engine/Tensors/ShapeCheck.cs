namespace CourseNotebooks.Engine.Tensors;

/// <summary>
/// Argument checks shared by all layers, so every message has one form: the layer, the thing, the expected and
/// the actual value ("Conv2d(3, 8, kernel 5x5): input channels: expected 3, got 1 (input shape [2, 1, 28, 28])").
/// </summary>
internal static class ShapeCheck
{
    public static void Rank(string layer, ReadOnlySpan<int> shape, int expectedRank, string layout)
    {
        if (shape.Length != expectedRank)
            throw new ArgumentException(
                $"{layer}: input rank: expected {expectedRank} ({layout}), got {shape.Length} (input shape {Tensor<float>.ShapeText(shape)}).");
    }

    public static void Dim(string layer, string what, int expected, int actual, ReadOnlySpan<int> shape)
    {
        if (expected != actual)
            throw new ArgumentException(
                $"{layer}: {what}: expected {expected}, got {actual} (input shape {Tensor<float>.ShapeText(shape)}).");
    }

    public static void Positive(string layer, string what, int value)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(what, value, $"{layer}: {what} must be positive, got {value}.");
    }

    public static void NonNegative(string layer, string what, int value)
    {
        if (value < 0) throw new ArgumentOutOfRangeException(what, value, $"{layer}: {what} must be non-negative, got {value}.");
    }

    public static void SameShape(string layer, string what, ReadOnlySpan<int> expected, ReadOnlySpan<int> actual)
    {
        if (!expected.SequenceEqual(actual))
            throw new ArgumentException(
                $"{layer}: {what} shape: expected {Tensor<float>.ShapeText(expected)}, got {Tensor<float>.ShapeText(actual)}.");
    }

    public static InvalidOperationException BackwardBeforeForward(string layer)
        => new($"{layer}: Backward was called before Forward (there is no cached input).");
}
