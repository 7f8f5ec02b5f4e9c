using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Data;

/// <summary>Points with a label each (the cluster a point was drawn from; all 0 for structureless noise). Introduced in notebook 11-tsne-maps.</summary>
/// <param name="Points">The points, [N, D].</param>
/// <param name="Labels">The generating cluster of each point, 0 .. clusters - 1.</param>
public sealed record LabeledPoints(Tensor<double> Points, int[] Labels)
{
    /// <summary>Number of points.</summary>
    public int Count => Labels.Length;
}

/// <summary>
/// Seeded point sets whose truth is known, to see what a t-SNE map keeps and what it invents: isotropic Gaussian
/// clusters of chosen sizes, spreads and positions, and uniform noise with no structure at all. The pitfalls follow
/// Wattenberg, Viegas and Johnson, "How to Use t-SNE Effectively", Distill 2016. Introduced in notebook 11-tsne-maps.
/// </summary>
public static class KnownTruth
{
    /// <summary>
    /// Gaussian clusters in <paramref name="dimensions"/> dimensions: cluster c has sizes[c] points drawn from
    /// N(m_c, spreads[c]^2 I), whose centre m_c sits at positions[c] on the first axis and 0 on the others, so the gap
    /// between clusters a and b is |positions[a] - positions[b]|. Points are listed cluster by cluster.
    /// </summary>
    /// <param name="sizes">Points per cluster, each at least 1.</param>
    /// <param name="spreads">Standard deviation of each cluster per coordinate, each positive.</param>
    /// <param name="positions">Each cluster's centre on the first axis.</param>
    /// <param name="dimensions">Dimensions of the space, at least 1.</param>
    /// <param name="seed">Seed of the generator: same arguments, same points.</param>
    /// <exception cref="ArgumentException">The three lists differ in length or are empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1, a spread not positive, or dimensions below 1.</exception>
    public static LabeledPoints GaussianClusters(int[] sizes, double[] spreads, double[] positions, int dimensions, int seed)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(spreads);
        ArgumentNullException.ThrowIfNull(positions);
        if (sizes.Length == 0 || spreads.Length != sizes.Length || positions.Length != sizes.Length)
            throw new ArgumentException(
                $"KnownTruth.GaussianClusters: expected one size, spread and position per cluster (at least one cluster), got {sizes.Length} sizes, {spreads.Length} spreads and {positions.Length} positions.", nameof(sizes));
        for (int c = 0; c < sizes.Length; c++)
        {
            if (sizes[c] < 1)
                throw new ArgumentOutOfRangeException(nameof(sizes), sizes[c], $"KnownTruth.GaussianClusters: cluster {c}: size must be at least 1, got {sizes[c]}.");
            if (!(spreads[c] > 0) || !double.IsFinite(spreads[c]))
                throw new ArgumentOutOfRangeException(nameof(spreads), spreads[c], $"KnownTruth.GaussianClusters: cluster {c}: spread must be positive and finite, got {spreads[c]}.");
        }
        if (dimensions < 1)
            throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, $"KnownTruth.GaussianClusters: dimensions must be at least 1, got {dimensions}.");
        var random = new Random(seed);
        int n = sizes.Sum();
        var points = new Tensor<double>(n, dimensions);
        var labels = new int[n];
        int i = 0;
        for (int c = 0; c < sizes.Length; c++)
            for (int s = 0; s < sizes[c]; s++, i++)
            {
                labels[i] = c;
                for (int d = 0; d < dimensions; d++)
                    points.Data[i * dimensions + d] = (d == 0 ? positions[c] : 0) + spreads[c] * Tensor.NextGaussian(random);
            }
        return new LabeledPoints(points, labels);
    }

    /// <summary>
    /// <paramref name="count"/> points drawn uniformly from the unit cube [0, 1)^dimensions: no clusters at all (every
    /// label 0).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Count or dimensions below 1.</exception>
    public static LabeledPoints UniformNoise(int count, int dimensions, int seed)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, $"KnownTruth.UniformNoise: count must be at least 1, got {count}.");
        if (dimensions < 1)
            throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, $"KnownTruth.UniformNoise: dimensions must be at least 1, got {dimensions}.");
        var random = new Random(seed);
        var points = new Tensor<double>(count, dimensions);
        for (int e = 0; e < points.Length; e++) points.Data[e] = random.NextDouble();
        return new LabeledPoints(points, new int[count]);
    }
}
