using System.Numerics;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Runs its layers in order: Forward left to right, Backward right to left. PyTorch: torch.nn.Sequential.
/// Introduced in notebook 01-convolution.
/// </summary>
public sealed class Sequential<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Module<T>> _layers;

    /// <summary>A container of <paramref name="layers"/>, applied in the given order.</summary>
    public Sequential(params Module<T>[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        for (int i = 0; i < layers.Length; i++)
            if (layers[i] is null) throw new ArgumentNullException(nameof(layers), $"Sequential: layer {i} is null.");
        _layers = [.. layers];
    }

    /// <summary>The layers, in order.</summary>
    public IReadOnlyList<Module<T>> Layers => _layers;

    /// <summary>Layer <paramref name="index"/>.</summary>
    public Module<T> this[int index] => _layers[index];

    /// <summary>Appends a layer.</summary>
    public Sequential<T> Add(Module<T> layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        _layers.Add(layer);
        _firstWithParameters = -1;
        return this;
    }

    /// <inheritdoc />
    public override IEnumerable<Module<T>> Children() => _layers;

    /// <inheritdoc />
    public override Tensor<T> Forward(Tensor<T> input)
    {
        var x = input;
        foreach (var layer in _layers) x = layer.Forward(x);
        return x;
    }

    /// <inheritdoc />
    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        var g = outputGradient;
        for (int i = _layers.Count - 1; i >= 0; i--) g = _layers[i].Backward(g);
        return g;
    }

    /// <inheritdoc />
    public override void BackwardToParameters(Tensor<T> outputGradient)
    {
        int first = FirstLayerWithParameters();
        var g = outputGradient;
        for (int i = _layers.Count - 1; i > first; i--) g = _layers[i].Backward(g);
        // Layers before the first one with parameters have nothing to learn: their backward would only produce
        // input gradients that nobody reads.
        if (first < _layers.Count) _layers[first].BackwardToParameters(g);
    }

    // Cached (Parameters() enumerates, and a training step allocates nothing); Add resets it.
    private int _firstWithParameters = -1;

    private int FirstLayerWithParameters()
    {
        if (_firstWithParameters >= 0) return _firstWithParameters;
        int first = 0;
        while (first < _layers.Count && !_layers[first].Parameters().Any()) first++;
        return _firstWithParameters = first;
    }

    /// <inheritdoc />
    public override int[] OutputShape(ReadOnlySpan<int> inputShape)
    {
        int[] shape = inputShape.ToArray();
        foreach (var layer in _layers) shape = layer.OutputShape(shape);
        return shape;
    }

    /// <inheritdoc />
    public override long MultiplyAdds(ReadOnlySpan<int> inputShape)
    {
        long total = 0;
        int[] shape = inputShape.ToArray();
        foreach (var layer in _layers)
        {
            total += layer.MultiplyAdds(shape);
            shape = layer.OutputShape(shape);
        }
        return total;
    }
}
