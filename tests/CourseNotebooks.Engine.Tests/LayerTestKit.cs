using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Tests;

/// <summary>Shared checks for the layer and loss tests: closeness, naive-versus-fast, gradient checks.</summary>
internal static class LayerTestKit
{
    /// <summary>The bound every gradient check in double must meet.</summary>
    public const double GradientTolerance = 1e-6;

    public static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]} (tolerance {tolerance})");
    }

    public static void AssertClose<T>(Tensor<T> expected, Tensor<T> actual, double tolerance)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.ShapeString, actual.ShapeString);
        AssertClose(expected.To<double>().Data, actual.To<double>().Data, tolerance);
    }

    /// <summary>Runs the module's gradient check in double and asserts every error is below the tolerance.</summary>
    public static double AssertGradients(Module<double> module, Tensor<double> input, int seed = 1,
        double tolerance = GradientTolerance, double step = 1e-6)
    {
        var result = GradientCheck.Check(module, input, new Random(seed), step);
        Assert.True(result.MaxError < tolerance,
            $"{module.Name}: gradient check error {result.MaxError:E3} (input {result.InputError:E3}; "
            + string.Join(", ", result.ParameterErrors.Select(p => $"{p.Key} {p.Value:E3}")) + $") exceeds {tolerance:E1}");
        return result.MaxError;
    }

    /// <summary>
    /// Runs the same module with the naive and the fast path on the same input and upstream gradient and
    /// asserts equal outputs, input gradients and parameter gradients.
    /// </summary>
    public static void AssertFastMatchesNaive(Module<float> module, Tensor<float> input, int seed, double tolerance = 1e-5)
    {
        var random = new Random(seed);
        module.Implementation = Implementation.Naive;
        var yNaive = module.Forward(input);
        var upstream = Tensor.Randn<float>(random, yNaive.Shape.ToArray());
        module.ZeroGrad();
        var dxNaive = module.Backward(upstream).Clone();
        var gradsNaive = module.Parameters().Select(p => p.Grad.Clone()).ToList();

        module.Implementation = Implementation.Fast;
        var yFast = module.Forward(input);
        module.ZeroGrad();
        var dxFast = module.Backward(upstream);
        var gradsFast = module.Parameters().Select(p => p.Grad).ToList();

        AssertClose(yNaive, yFast, tolerance);
        AssertClose(dxNaive, dxFast, tolerance);
        for (int i = 0; i < gradsNaive.Count; i++) AssertClose(gradsNaive[i], gradsFast[i], tolerance);
    }

    /// <summary>
    /// Distinct values (a shuffled ramp scaled by <paramref name="spacing"/>, centred on 0) so max pooling has no
    /// ties and no value sits within spacing/2 of a kink; +- h in a gradient check cannot change an argmax.
    /// </summary>
    public static Tensor<double> DistinctValues(Random random, double spacing, params int[] shape)
    {
        var t = new Tensor<double>(shape);
        var order = Enumerable.Range(0, t.Length).OrderBy(_ => random.Next()).ToArray();
        for (int i = 0; i < t.Length; i++) t.Data[i] = (order[i] - t.Length / 2 + 0.5) * spacing;
        return t;
    }

    /// <summary>
    /// Bytes allocated over <paramref name="runs"/> calls after three warm-up calls, with <paramref name="threads"/>
    /// engine threads, counted on the calling thread (the test runner allocates on its own threads meanwhile). On two
    /// threads the calling thread is worker 0 and hands the pool the same struct bodies it runs itself; the benchmark
    /// (bytes/op, all threads) covers the pool's side.
    /// </summary>
    public static long BytesAllocated(Action step, int runs = 5, int threads = 1)
    {
        int saved = EngineSettings.MaxThreads;
        EngineSettings.MaxThreads = threads;
        try
        {
            for (int i = 0; i < 3; i++) step();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < runs; i++) step();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        finally
        {
            EngineSettings.MaxThreads = saved;
        }
    }

    /// <summary>
    /// Runs one optimizer twice from the same start on the same gradients, its fast loop and its reference
    /// (<see cref="Implementation.Naive"/>), and asserts the same bits after every step: the vector loop does every
    /// lane's IEEE operations in the reference's order. Gradients mix sizes (every third about 1e-3).
    /// </summary>
    public static void AssertStepMatchesReference(Func<Parameter<float>, Optimizer<float>> make, int length, int steps, int seed)
    {
        var random = new Random(seed);
        var start = new float[length];
        for (int i = 0; i < length; i++) start[i] = (float)(random.NextDouble() * 2 - 1);
        var fast = new Parameter<float>("w", new Tensor<float>((float[])start.Clone(), length));
        var reference = new Parameter<float>("w", new Tensor<float>((float[])start.Clone(), length));
        var fastOptimizer = make(fast);
        var referenceOptimizer = make(reference);
        referenceOptimizer.Implementation = Implementation.Naive;
        for (int t = 1; t <= steps; t++)
        {
            for (int i = 0; i < length; i++)
                fast.Grad.Data[i] = reference.Grad.Data[i] = (float)(random.NextDouble() * 2 - 1) * (i % 3 == 0 ? 1e-3f : 1f);
            fastOptimizer.Step();
            referenceOptimizer.Step();
            Assert.True(reference.Value.Data.AsSpan().SequenceEqual(fast.Value.Data), $"{fastOptimizer.Name}, length {length}: step {t} differs from the reference");
        }
    }
}
