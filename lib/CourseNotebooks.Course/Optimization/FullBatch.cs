using System.Diagnostics;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Optimization;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Optimization;

/// <summary>
/// A network's full-batch training loss as a function of one flat parameter vector θ (every parameter of the
/// model, in <see cref="Module{T}.Parameters"/> order, concatenated), with its exact gradient from Backward:
/// E(θ) = (1/N) Σₙ CE(model(xₙ; θ), yₙ) over all N examples. This is the form general-purpose minimizers expect,
/// so MathNet.Numerics' conjugate-gradient and L-BFGS minimizers can train a real network (see
/// <see cref="FullBatch"/>). Every evaluation is counted, in evaluations and in examples processed (N per
/// evaluation). Introduced in notebook 17-learning-methods.
/// </summary>
/// <remarks>
/// The model computes in float32; θ, the loss and the gradient are handed over in double. The examples are pushed
/// through in chunks (default 1,000) with a summed loss, so memory stays bounded and the gradient is the exact mean
/// over all N. The model is set to evaluation mode for each evaluation (no Dropout noise: the function must be
/// deterministic for a line search) and its previous mode is restored afterwards.
/// </remarks>
public sealed class FullBatchObjective
{
    private readonly Module<float> _model;
    private readonly LabeledImages _data;
    private readonly Parameter<float>[] _parameters;
    private readonly CrossEntropyLoss<float> _loss = new(Reduction.Sum) { ReuseBuffers = true };
    private readonly int _chunkSize;

    /// <summary>Wraps <paramref name="model"/> (logits [N, classes]) and the examples it is trained on.</summary>
    /// <param name="model">The network; its current weights are the starting point <see cref="GetParameters"/> returns.</param>
    /// <param name="data">The whole training set.</param>
    /// <param name="chunkSize">Examples per forward pass, ≥ 1.</param>
    /// <exception cref="ArgumentException">The data set is empty or the model has no parameters.</exception>
    /// <exception cref="ArgumentOutOfRangeException">chunkSize below 1.</exception>
    public FullBatchObjective(Module<float> model, LabeledImages data, int chunkSize = 1000)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException($"FullBatchObjective: the data set '{data.Name}' is empty (expected at least one example).", nameof(data));
        if (chunkSize < 1) throw new ArgumentOutOfRangeException(nameof(chunkSize), chunkSize, $"FullBatchObjective: the chunk size must be at least 1, got {chunkSize}.");
        _model = model;
        _data = data;
        _chunkSize = chunkSize;
        _parameters = model.Parameters().ToArray();
        if (_parameters.Length == 0) throw new ArgumentException("FullBatchObjective: the model has no parameters (expected at least one).", nameof(model));
        ParameterCount = _parameters.Sum(p => p.Value.Length);
    }

    /// <summary>Length of θ: the model's parameter count.</summary>
    public int ParameterCount { get; }

    /// <summary>Number of examples N in the data set (the cost of one evaluation, in examples).</summary>
    public int ExampleCount => _data.Count;

    /// <summary>Calls of <see cref="Evaluate"/> so far (each computes the loss and the gradient).</summary>
    public int Evaluations { get; private set; }

    /// <summary>Examples processed so far: <see cref="Evaluations"/> × N.</summary>
    public long ExamplesProcessed { get; private set; }

    /// <summary>The model's current weights as θ.</summary>
    public double[] GetParameters()
    {
        var theta = new double[ParameterCount];
        int offset = 0;
        foreach (var p in _parameters)
        {
            var values = p.Value.Data;
            for (int i = 0; i < values.Length; i++) theta[offset + i] = values[i];
            offset += values.Length;
        }
        return theta;
    }

    /// <summary>Writes θ into the model's weights (rounded to float32).</summary>
    /// <exception cref="ArgumentException">θ does not have <see cref="ParameterCount"/> values.</exception>
    public void SetParameters(ReadOnlySpan<double> theta)
    {
        if (theta.Length != ParameterCount)
            throw new ArgumentException($"FullBatchObjective: θ has {theta.Length} values, expected {ParameterCount} (the model's parameter count).", nameof(theta));
        int offset = 0;
        foreach (var p in _parameters)
        {
            var values = p.Value.Data;
            for (int i = 0; i < values.Length; i++) values[i] = (float)theta[offset + i];
            offset += values.Length;
        }
    }

    /// <summary>
    /// E(θ) and ∇E(θ): sets the weights to θ, runs every example forward and backward, writes the mean gradient
    /// into <paramref name="gradient"/> and returns the mean loss. Counts one evaluation and N examples.
    /// </summary>
    /// <exception cref="ArgumentException">θ or the gradient does not have <see cref="ParameterCount"/> values.</exception>
    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        if (gradient.Length != ParameterCount)
            throw new ArgumentException($"FullBatchObjective: the gradient has {gradient.Length} values, expected {ParameterCount}.", nameof(gradient));
        SetParameters(theta);
        bool wasTraining = _model.Training;
        _model.Eval();
        using var reuse = ReusedBuffers.During(_model);
        try
        {
            _model.ZeroGrad();
            double sum = 0;
            foreach (var batch in new DataLoader<float>(_data.Images, _data.Labels, _chunkSize))
            {
                sum += double.CreateTruncating(_loss.Forward(_model.Forward(batch.X), batch.Y));
                _model.BackwardToParameters(_loss.Backward());
            }
            double n = _data.Count;
            int offset = 0;
            foreach (var p in _parameters)
            {
                var g = p.Grad.Data;
                for (int i = 0; i < g.Length; i++) gradient[offset + i] = g[i] / n;
                offset += g.Length;
            }
            Evaluations++;
            ExamplesProcessed += _data.Count;
            return sum / n;
        }
        finally
        {
            _model.Train(wasTraining);
        }
    }
}

/// <summary>The full-batch methods of the slide "Summary of learning methods", both from MathNet.Numerics. Introduced in notebook 17-learning-methods.</summary>
public enum FullBatchMethod
{
    /// <summary>Nonlinear conjugate gradient (MathNet.Numerics.Optimization.ConjugateGradientMinimizer).</summary>
    ConjugateGradient,
    /// <summary>Limited-memory BFGS (MathNet.Numerics.Optimization.LimitedMemoryBfgsMinimizer).</summary>
    Lbfgs,
}

/// <summary>
/// Full-batch training with MathNet.Numerics' minimizers (not hand-written): conjugate gradient and L-BFGS drive a
/// <see cref="FullBatchObjective"/> until a budget of examples processed is spent, and the run is recorded as a
/// <see cref="LearningCurve"/> comparable with mini-batch runs (<see cref="OptimizerSweep.TrainCurve"/>). Also
/// builds the "big, redundant" data set of the slide. Introduced in notebook 17-learning-methods.
/// </summary>
public static class FullBatch
{
    /// <summary>The name used in legends: "conjugate gradient" or "L-BFGS".</summary>
    public static string NameOf(FullBatchMethod method) => method switch
    {
        FullBatchMethod.ConjugateGradient => "conjugate gradient",
        FullBatchMethod.Lbfgs => "L-BFGS",
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, $"FullBatch: unknown method {method}."),
    };

    /// <summary>
    /// Minimizes the full-batch loss of <paramref name="model"/> on <paramref name="train"/> with
    /// <paramref name="method"/>, starting from the model's current weights, and stops once
    /// <paramref name="exampleBudget"/> examples have been processed (or earlier, when the minimizer reports
    /// convergence or gives up). The model is left at the best weights found.
    /// </summary>
    /// <param name="model">The network (float32); trained in place.</param>
    /// <param name="train">All training examples; each evaluation processes all of them.</param>
    /// <param name="method">Conjugate gradient or L-BFGS.</param>
    /// <param name="exampleBudget">Examples to process, at least one evaluation's worth (N).</param>
    /// <param name="onEvaluation">Called after each evaluation with its index, the examples processed so far and
    /// the best loss so far (for a progress display).</param>
    /// <param name="gradientTolerance">MathNet's stopping test |∇E| &lt; tol, which also sets its first trial step,
    /// 100·tol/|∇E|² along −∇E (both minimizers). A tiny value makes that first step vanish in float32 weights;
    /// the default 1e-5 gives a first move of 0.001/|∇E|, which the line search then doubles as long as it pays.</param>
    /// <param name="memory">L-BFGS: the number of (step, gradient change) pairs it keeps.</param>
    /// <returns>
    /// The curve: point k after k evaluations, its loss the lowest full-batch loss evaluated so far (the weights a
    /// run stopped at that moment would return; a line search also evaluates trial points it then rejects), and the
    /// wall time since the start: the evaluations and MathNet's own work between them (the recording and
    /// <paramref name="onEvaluation"/> are left out, as <see cref="OptimizerSweep.TrainCurve"/> leaves out its
    /// callbacks). <see cref="FullBatchRun.StopReason"/> says why it
    /// ended.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException">The budget is smaller than one evaluation (N examples), a
    /// tolerance not positive, or a memory below 1.</exception>
    public static FullBatchRun Minimize(Module<float> model, LabeledImages train, FullBatchMethod method, long exampleBudget,
        Action<int, long, double>? onEvaluation = null, double gradientTolerance = 1e-5, int memory = 10)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        var objective = new FullBatchObjective(model, train);
        if (!(gradientTolerance > 0) || !double.IsFinite(gradientTolerance))
            throw new ArgumentOutOfRangeException(nameof(gradientTolerance), gradientTolerance, $"FullBatch.Minimize: the gradient tolerance must be positive and finite, got {gradientTolerance}.");
        if (memory < 1) throw new ArgumentOutOfRangeException(nameof(memory), memory, $"FullBatch.Minimize: the L-BFGS memory must be at least 1, got {memory}.");
        if (exampleBudget < objective.ExampleCount)
            throw new ArgumentOutOfRangeException(nameof(exampleBudget), exampleBudget,
                $"FullBatch.Minimize: the budget must cover at least one full-batch evaluation ({objective.ExampleCount} examples), got {exampleBudget}.");
        int maxEvaluations = (int)Math.Min(int.MaxValue, exampleBudget / objective.ExampleCount);
        var steps = new List<int>();
        var examples = new List<long>();
        var seconds = new List<double>();
        var losses = new List<double>();
        var clock = new Stopwatch();
        double best = double.PositiveInfinity;
        double[] bestTheta = objective.GetParameters();
        var gradientBuffer = new double[objective.ParameterCount];

        (double, Vector<double>) ValueAndGradient(Vector<double> theta)
        {
            if (objective.Evaluations >= maxEvaluations) throw new BudgetSpentException();
            double value = objective.Evaluate(theta.AsArray() ?? theta.ToArray(), gradientBuffer);
            var gradient = Vector<double>.Build.DenseOfArray((double[])gradientBuffer.Clone());
            clock.Stop();
            if (value < best)
            {
                best = value;
                for (int i = 0; i < bestTheta.Length; i++) bestTheta[i] = theta[i];
            }
            steps.Add(objective.Evaluations);
            examples.Add(objective.ExamplesProcessed);
            seconds.Add(clock.Elapsed.TotalSeconds);
            losses.Add(best);
            onEvaluation?.Invoke(objective.Evaluations, objective.ExamplesProcessed, best);
            clock.Start();
            return (value, gradient);
        }

        // Both minimizers evaluate the starting point first; its loss is recorded again as point 0 below.
        var start = Vector<double>.Build.DenseOfArray(objective.GetParameters());
        var function = ObjectiveFunction.Gradient(ValueAndGradient);
        string reason;
        int iterations = 0;
        clock.Start();
        try
        {
            // MathNet's first trial step is 100·tol/|g|² along −g (both minimizers), so the gradient tolerance also
            // sets the scale of the first step; the other tolerances are zero, so that the budget ends a run.
            MinimizationResult result = method switch
            {
                FullBatchMethod.ConjugateGradient => new ConjugateGradientMinimizer(gradientTolerance, int.MaxValue).FindMinimum(function, start),
                FullBatchMethod.Lbfgs => new LimitedMemoryBfgsMinimizer(gradientTolerance, 0, 0, memory, int.MaxValue).FindMinimum(function, start),
                _ => throw new ArgumentOutOfRangeException(nameof(method), method, $"FullBatch: unknown method {method}."),
            };
            reason = $"converged ({result.ReasonForExit})";
            iterations = result.Iterations;
        }
        catch (Exception e) when (IsBudgetSpent(e))
        {
            // The conjugate-gradient minimizer wraps anything its line search throws; L-BFGS lets it through.
            reason = "budget spent";
        }
        catch (OptimizationException e)
        {
            // MathNet gives up when a line search finds no acceptable step (float32 rounding near a minimum).
            reason = $"stopped by MathNet: {e.Message}";
        }
        finally
        {
            clock.Stop();
        }
        objective.SetParameters(bestTheta);
        // Point 0 is the start: the first evaluation is at the starting weights, so its loss is the initial loss.
        var curve = new LearningCurve(NameOf(method), double.NaN,
            [0, .. steps], [0, .. examples], [0, .. seconds], [losses.Count > 0 ? losses[0] : double.NaN, .. losses], false);
        return new FullBatchRun(curve, objective.Evaluations, reason, iterations);
    }

    /// <summary>
    /// The "big, redundant" data set: every image of <paramref name="data"/> repeated <paramref name="copies"/>
    /// times, each copy with independent Gaussian pixel noise of standard deviation <paramref name="noise"/>
    /// (pixels stay unclipped), labels kept. The examples are interleaved (copy 1 of every image, then copy 2, ...),
    /// so any contiguous chunk covers the whole original set.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">copies below 1 or a negative or non-finite noise.</exception>
    public static LabeledImages RepeatWithNoise(LabeledImages data, int copies, double noise, int seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (copies < 1) throw new ArgumentOutOfRangeException(nameof(copies), copies, $"FullBatch.RepeatWithNoise: copies must be at least 1, got {copies}.");
        if (!(noise >= 0) || !double.IsFinite(noise)) throw new ArgumentOutOfRangeException(nameof(noise), noise, $"FullBatch.RepeatWithNoise: the noise must be a finite number >= 0, got {noise}.");
        int n = data.Count, size = data.Images.Length / Math.Max(1, n);
        var shape = data.Images.Shape.ToArray();
        shape[0] = n * copies;
        var images = new Tensor<float>(shape);
        var labels = new int[n * copies];
        var random = new Random(seed);
        for (int c = 0; c < copies; c++)
            for (int i = 0; i < n; i++)
            {
                int target = c * n + i;
                labels[target] = data.Labels[i];
                for (int j = 0; j < size; j++)
                    images.Data[(long)target * size + j] = data.Images.Data[(long)i * size + j] + (float)(noise * Tensor.NextGaussian(random));
            }
        return new LabeledImages($"{data.Name} × {copies} with noise {noise}", images, labels, data.ClassNames);
    }

    private static bool IsBudgetSpent(Exception? e)
    {
        for (; e is not null; e = e.InnerException) if (e is BudgetSpentException) return true;
        return false;
    }

    private sealed class BudgetSpentException : Exception
    {
    }
}

/// <summary>A full-batch run: its learning curve, the evaluations spent, why it stopped, and MathNet's iteration count
/// (known only when MathNet itself ended the run). Introduced in notebook 17-learning-methods.</summary>
/// <param name="Curve">Loss against evaluations, examples and time.</param>
/// <param name="Evaluations">Gradient evaluations spent (each over the whole data set).</param>
/// <param name="StopReason">"budget spent", "converged (...)" or "stopped by MathNet: ...".</param>
/// <param name="Iterations">MathNet's iteration count when it returned normally, otherwise 0.</param>
public sealed record FullBatchRun(LearningCurve Curve, int Evaluations, string StopReason, int Iterations);
