using System.Numerics;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Optimization;

/// <summary>
/// A real network's loss restricted to a plane of weight space: θ(a, b) = θ* + a·d₁ + b·d₂ through the trained
/// weights θ*, spanned by two random directions that are filter-normalised as in Li, Xu, Taylor, Studer and
/// Goldstein, "Visualizing the Loss Landscape of Neural Nets" (NeurIPS 2018). On the plane the loss is an ordinary
/// function of two numbers with an exact gradient, (∂L/∂a, ∂L/∂b) = (∇L·d₁, ∇L·d₂), so it becomes a
/// <see cref="Surface2D"/> that the library's optimizers can walk; the mini-batch surface uses the gradient of one
/// mini-batch per step, projected the same way, which is exactly the noise SGD sees (restricted to the plane).
/// Introduced in notebook 14-sgd-visualized.
/// </summary>
/// <remarks>
/// <para>Filter normalisation: for every parameter of rank ≥ 2 (a Linear weight [out, in], a Conv2d weight
/// [out, in, kh, kw]) each slice along dimension 0 (one neuron's or filter's weights) of a Gaussian direction is
/// rescaled to the norm of the same slice of θ*, so a = 1 moves every filter by its own size and layers of different
/// scale are comparable. Parameters of rank 1 (biases) get a zero direction, as in the paper.</para>
/// <para>The loss is softmax cross-entropy (mean over the images), evaluated with the model as it is (call
/// <see cref="Module{T}.Eval"/> first for a model with dropout). Evaluating moves the model's weights;
/// <see cref="Restore"/> puts θ* back.</para>
/// </remarks>
public sealed class LossProjection<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Module<T> _model;
    private readonly Parameter<T>[] _parameters;
    private readonly T[][] _center, _d1, _d2;
    private readonly Tensor<T> _images;
    private readonly int[] _labels;
    private readonly CrossEntropyLoss<T> _loss = new() { ReuseBuffers = true };

    /// <summary>
    /// The plane through the model's current weights with two filter-normalised Gaussian directions drawn from
    /// <paramref name="seed"/>.
    /// </summary>
    /// <param name="model">A trained classifier whose output is logits [N, classes]; its current weights are θ*.</param>
    /// <param name="images">The images the loss is measured on, [N, ...] as the model expects.</param>
    /// <param name="labels">One class index per image.</param>
    /// <param name="seed">Seeds the two directions.</param>
    /// <exception cref="ArgumentException">No images, labels of the wrong length, or a model without parameters.</exception>
    public LossProjection(Module<T> model, Tensor<T> images, int[] labels, int seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Rank == 0 || images.Size(0) == 0)
            throw new ArgumentException("LossProjection: at least one image is needed, got 0.", nameof(images));
        if (labels.Length != images.Size(0))
            throw new ArgumentException($"LossProjection: expected one label per image ({images.Size(0)}), got {labels.Length}.", nameof(labels));
        _parameters = [.. model.Parameters()];
        if (_parameters.Length == 0) throw new ArgumentException("LossProjection: the model has no parameters.", nameof(model));
        _model = model;
        _images = images;
        _labels = labels;
        _center = [.. _parameters.Select(p => p.Value.Data.ToArray())];
        var random = new Random(seed);
        _d1 = [.. _parameters.Select(p => Direction(p, random))];
        _d2 = [.. _parameters.Select(p => Direction(p, random))];
    }

    /// <summary>Number of images the loss is measured on.</summary>
    public int Count => _labels.Length;

    /// <summary>The two directions, per parameter (in <see cref="Module{T}.Parameters"/> order), flattened.</summary>
    public (IReadOnlyList<T[]> D1, IReadOnlyList<T[]> D2) Directions => (_d1, _d2);

    /// <summary>The full-batch loss at θ* + a·d₁ + b·d₂ (mean cross-entropy over all images).</summary>
    public double Loss(double a, double b)
    {
        MoveTo(a, b);
        return double.CreateTruncating(_loss.Forward(_model.Forward(_images), _labels));
    }

    /// <summary>
    /// The loss and its exact gradient with respect to (a, b) at θ* + a·d₁ + b·d₂, over all images or over the
    /// images at <paramref name="batch"/> (a mini-batch): ∂L/∂a = ∇θL·d₁, ∂L/∂b = ∇θL·d₂.
    /// </summary>
    /// <exception cref="ArgumentException">An empty batch.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A batch index outside [0, Count).</exception>
    public (double Loss, double Da, double Db) Gradient(double a, double b, int[]? batch = null)
    {
        var (x, y) = batch is null ? (_images, _labels) : Batch(batch);
        MoveTo(a, b);
        using var reuse = ReusedBuffers.During(_model);
        _model.ZeroGrad();
        double value = double.CreateTruncating(_loss.Forward(_model.Forward(x), y));
        _model.BackwardToParameters(_loss.Backward());
        T da = T.Zero, db = T.Zero;
        for (int p = 0; p < _parameters.Length; p++)
        {
            var g = _parameters[p].Grad.Data;
            T[] d1 = _d1[p], d2 = _d2[p];
            for (int i = 0; i < g.Length; i++)
            {
                da += g[i] * d1[i];
                db += g[i] * d2[i];
            }
        }
        return (value, double.CreateTruncating(da), double.CreateTruncating(db));
    }

    /// <summary>
    /// The plane as a surface with the full-batch loss and gradient (plain gradient descent walks it as GD walks the
    /// real network, restricted to the plane). Its "minimum" is θ* at (0, 0), the trained weights, not necessarily
    /// the lowest point of the plane.
    /// </summary>
    /// <param name="extent">The view is [−extent, extent]² in units of the filter-normalised directions.</param>
    public Surface2D FullBatch(double extent = 1)
        => new("loss of the network on the plane (full batch)", Loss, (a, b) => { var g = Gradient(a, b); return (g.Da, g.Db); },
            (0, 0), (-extent, extent, -extent, extent));

    /// <summary>
    /// The plane as a surface whose gradient is a mini-batch gradient: every call to
    /// <see cref="Surface2D.Gradient"/> takes the next <paramref name="batchSize"/> images of a seeded shuffle of the
    /// images (reshuffled after each pass), as a data loader does; the value is still the full-batch loss, so a
    /// path's recorded losses are comparable with the full-batch path's. Stateful: build a new surface per path.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A batch size outside [1, Count].</exception>
    public Surface2D MiniBatch(int batchSize, int seed, double extent = 1)
    {
        if (batchSize < 1 || batchSize > Count)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"LossProjection.MiniBatch: the batch size must be in [1, {Count}], got {batchSize}.");
        var random = new Random(seed);
        int[] order = [.. Enumerable.Range(0, Count)];
        int next = Count;
        return new Surface2D($"loss of the network on the plane (mini-batches of {batchSize})", Loss, (a, b) =>
        {
            if (next + batchSize > Count)
            {
                random.Shuffle(order);
                next = 0;
            }
            var batch = order[next..(next + batchSize)];
            next += batchSize;
            var g = Gradient(a, b, batch);
            return (g.Da, g.Db);
        }, (0, 0), (-extent, extent, -extent, extent));
    }

    /// <summary>Puts the trained weights θ* back into the model.</summary>
    public void Restore() => MoveTo(0, 0);

    private void MoveTo(double a, double b)
    {
        T ta = T.CreateChecked(a), tb = T.CreateChecked(b);
        for (int p = 0; p < _parameters.Length; p++)
        {
            var w = _parameters[p].Value.Data;
            T[] c = _center[p], d1 = _d1[p], d2 = _d2[p];
            for (int i = 0; i < w.Length; i++) w[i] = c[i] + ta * d1[i] + tb * d2[i];
        }
    }

    private (Tensor<T> X, int[] Y) Batch(int[] batch)
    {
        if (batch.Length == 0) throw new ArgumentException("LossProjection.Gradient: the batch is empty.", nameof(batch));
        var shape = _images.Shape.ToArray();
        int per = _images.Length / shape[0];
        shape[0] = batch.Length;
        var x = new Tensor<T>(shape);
        var y = new int[batch.Length];
        for (int k = 0; k < batch.Length; k++)
        {
            int i = batch[k];
            if (i < 0 || i >= Count)
                throw new ArgumentOutOfRangeException(nameof(batch), i, $"LossProjection.Gradient: batch index {i} is outside [0, {Count}).");
            Array.Copy(_images.Data, i * per, x.Data, k * per, per);
            y[k] = _labels[i];
        }
        return (x, y);
    }

    private static T[] Direction(Parameter<T> parameter, Random random)
    {
        var value = parameter.Value;
        var d = new T[value.Length];
        if (value.Rank < 2) return d;               // biases: no movement, as in Li et al.
        int rows = value.Size(0), per = value.Length / rows;
        for (int r = 0; r < rows; r++)
        {
            double dNorm = 0, wNorm = 0;
            var g = new double[per];
            for (int i = 0; i < per; i++)
            {
                // Box-Muller: a standard normal from two uniforms.
                g[i] = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                dNorm += g[i] * g[i];
                double w = double.CreateTruncating(value.Data[r * per + i]);
                wNorm += w * w;
            }
            double scale = dNorm > 0 ? Math.Sqrt(wNorm / dNorm) : 0;
            for (int i = 0; i < per; i++) d[r * per + i] = T.CreateChecked(g[i] * scale);
        }
        return d;
    }
}
