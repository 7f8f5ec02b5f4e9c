using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Runtime;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// The engine tests' one kit: closeness, gradient checks, and the check of every fast path against its reference
/// (layers, losses' vector parts through their layers, optimizers), so no test writes its own fast-versus-naive loop.
/// </summary>
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
    /// The one check of a layer's fast path against its reference (Reference/, what <see cref="Implementation.Naive"/>
    /// runs): two copies from <paramref name="make"/> (the same seed each call), one on each path, get the same inputs
    /// and upstream gradients for <paramref name="steps"/> training steps, and their outputs, input gradients and
    /// (accumulated) parameter gradients must agree: relatively within <paramref name="tolerance"/>
    /// (|fast - reference| &lt;= tolerance max(1, |reference|); parameter gradients within
    /// <paramref name="parameterTolerance"/>, by default the same), or bit for bit, NaN included, with tolerance 0.
    /// The fast copy runs with <see cref="Module{T}.ReuseBuffers"/> on, as the course's training loops run it, so from
    /// the second step on it also runs on its reused, stale buffers.
    /// </summary>
    public static void AssertFastMatchesReference<T>(Func<Module<T>> make, Func<Random, Tensor<T>> input, int seed,
        double tolerance = 1e-5, double? parameterTolerance = null, int steps = 1, string what = "")
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var reference = make();
        reference.Implementation = Implementation.Naive;
        var fast = make();
        fast.Implementation = Implementation.Fast;
        fast.ReuseBuffers = true;
        var random = new Random(seed);
        string name = what.Length > 0 ? what : fast.Name;
        for (int step = 0; step < steps; step++)
        {
            var x = input(random);
            var yReference = reference.Forward(x);
            var yFast = fast.Forward(x);
            AssertAgree(yReference, yFast, tolerance, $"{name}, step {step}: output");
            var upstream = Tensor.Randn<T>(random, yReference.Shape.ToArray());
            AssertAgree(reference.Backward(upstream), fast.Backward(upstream), tolerance, $"{name}, step {step}: input gradient");
            foreach (var (r, f) in reference.Parameters().Zip(fast.Parameters()))
                AssertAgree(r.Grad, f.Grad, parameterTolerance ?? tolerance, $"{name}, step {step}: {r.Name} gradient");
        }
    }

    /// <summary><see cref="AssertFastMatchesReference{T}(Func{Module{T}}, Func{Random, Tensor{T}}, int, double, double?, int, string)"/> on one fixed input.</summary>
    public static void AssertFastMatchesReference<T>(Func<Module<T>> make, Tensor<T> input, int seed,
        double tolerance = 1e-5, double? parameterTolerance = null, string what = "")
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => AssertFastMatchesReference(make, _ => input, seed, tolerance, parameterTolerance, steps: 1, what);

    /// <summary>
    /// A loss's fast path against its reference (the vector parts in Reference/LossReference.cs): the reduced value, the
    /// per-position losses and the gradient, each within a relative <paramref name="tolerance"/>.
    /// </summary>
    public static void AssertLossMatchesReference<TTarget>(Func<Loss<float, TTarget>> make, Tensor<float> prediction, TTarget target, double tolerance = 1e-5)
    {
        var reference = make();
        reference.Implementation = Implementation.Naive;
        var fast = make();
        Assert.Equal(reference.Forward(prediction, target), fast.Forward(prediction, target), 4);
        AssertAgree(reference.Losses, fast.Losses, tolerance, $"{fast.Name}: losses");
        AssertAgree(reference.Backward(), fast.Backward(), tolerance, $"{fast.Name}: gradient");
    }

    private static void AssertAgree<T>(Tensor<T> reference, Tensor<T> fast, double tolerance, string what)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        Assert.True(reference.SameShape(fast), $"{what}: shapes {reference.ShapeString} and {fast.ShapeString}");
        for (int i = 0; i < reference.Length; i++)
        {
            double r = double.CreateTruncating(reference.Data[i]), f = double.CreateTruncating(fast.Data[i]);
            bool agree = tolerance == 0
                ? reference.Data[i].Equals(fast.Data[i]) && T.IsNegative(reference.Data[i]) == T.IsNegative(fast.Data[i])
                : Math.Abs(f - r) <= tolerance * Math.Max(1, Math.Abs(r));
            Assert.True(agree, $"{what}[{i}]: reference {r:R}, fast {f:R} (tolerance {tolerance})");
        }
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
    /// (bytes/op, all threads) covers the pool's side. A measurement during which a loop found the pool held by another
    /// thread (it then runs on Parallel.For, by design, and allocates) is repeated, at most three times: in CI a 2-thread
    /// pooling test once measured 400 bytes that way.
    /// </summary>
    public static long BytesAllocated(Action step, int runs = 5, int threads = 1)
    {
        int saved = EngineSettings.MaxThreads;
        EngineSettings.MaxThreads = threads;
        try
        {
            for (int i = 0; i < 3; i++) step();
            long bytes = 0;
            for (int attempt = 0; attempt < 3; attempt++)
            {
                long fallbacks = WorkerPool.ParallelForFallbacks;
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < runs; i++) step();
                bytes = GC.GetAllocatedBytesForCurrentThread() - before;
                if (WorkerPool.ParallelForFallbacks == fallbacks) break;
            }
            return bytes;
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
