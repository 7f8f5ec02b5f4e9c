using System.Diagnostics;
using System.Numerics;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;

namespace CourseNotebooks.Course.Optimization;

/// <summary>The five update rules notebook 16-optimizer-comparison races against each other. Introduced in notebook 16-optimizer-comparison.</summary>
public enum OptimizerKind
{
    /// <summary>Plain SGD: θ ← θ − γ g (<see cref="Sgd{T}"/> without momentum).</summary>
    Sgd,
    /// <summary>SGD with (heavy-ball) momentum μ, torch.optim.SGD(momentum=μ).</summary>
    Momentum,
    /// <summary>SGD with Nesterov momentum μ, torch.optim.SGD(momentum=μ, nesterov=True).</summary>
    Nesterov,
    /// <summary><see cref="RmsProp{T}"/> with PyTorch's defaults apart from the learning rate.</summary>
    RmsProp,
    /// <summary><see cref="Adam{T}"/> with PyTorch's defaults apart from the learning rate.</summary>
    Adam,
}

/// <summary>
/// One optimizer of a comparison: which update rule, its momentum (for the two momentum kinds) and the learning
/// rate a sweep is centred on. <see cref="Create{T}"/> builds the library's own optimizer, so every run in a
/// comparison is a real <see cref="Optimizer{T}"/>. Introduced in notebook 16-optimizer-comparison (used again in
/// 17-learning-methods).
/// </summary>
/// <param name="Kind">The update rule.</param>
/// <param name="TypicalLearningRate">A learning rate known to work for this rule on small networks; sweeps
/// multiply it (for example by 1/3, 1, 3). Must be positive.</param>
/// <param name="MomentumFactor">μ for <see cref="OptimizerKind.Momentum"/> and <see cref="OptimizerKind.Nesterov"/>
/// (ignored by the others), in [0, 1).</param>
public sealed record OptimizerRecipe(OptimizerKind Kind, double TypicalLearningRate, double MomentumFactor = 0.9)
{
    /// <summary>The short name used in legends and sentences: "SGD", "momentum", "Nesterov", "RMSprop", "Adam".</summary>
    public string Name => Kind switch
    {
        OptimizerKind.Sgd => "SGD",
        OptimizerKind.Momentum => "momentum",
        OptimizerKind.Nesterov => "Nesterov",
        OptimizerKind.RmsProp => "RMSprop",
        OptimizerKind.Adam => "Adam",
        _ => Kind.ToString(),
    };

    /// <summary>
    /// The five rules with learning rates that suit a small network on the shipped images: SGD 0.1, momentum and
    /// Nesterov 0.03 (μ = 0.9; the effective step of heavy-ball momentum is γ/(1 − μ) = 10γ), RMSprop and Adam
    /// 0.001 (PyTorch's default for Adam).
    /// </summary>
    public static IReadOnlyList<OptimizerRecipe> Standard { get; } =
    [
        new(OptimizerKind.Sgd, 0.1),
        new(OptimizerKind.Momentum, 0.05),
        new(OptimizerKind.Nesterov, 0.05),
        new(OptimizerKind.RmsProp, 0.003),
        new(OptimizerKind.Adam, 0.003),
    ];

    /// <summary>Builds the optimizer over <paramref name="parameters"/> with learning rate <paramref name="learningRate"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The learning rate is not positive and finite, or μ is outside [0, 1).</exception>
    public Optimizer<T> Create<T>(IEnumerable<Parameter<T>> parameters, double learningRate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, $"OptimizerRecipe {Name}: the learning rate must be positive and finite, got {learningRate}.");
        if (!(MomentumFactor >= 0 && MomentumFactor < 1))
            throw new ArgumentOutOfRangeException(nameof(MomentumFactor), MomentumFactor, $"OptimizerRecipe {Name}: momentum must lie in [0, 1), got {MomentumFactor}.");
        return Kind switch
        {
            OptimizerKind.Sgd => new Sgd<T>(parameters, learningRate),
            OptimizerKind.Momentum => new Sgd<T>(parameters, learningRate, momentum: MomentumFactor),
            OptimizerKind.Nesterov => new Sgd<T>(parameters, learningRate, momentum: MomentumFactor, nesterov: true),
            OptimizerKind.RmsProp => new RmsProp<T>(parameters, learningRate),
            OptimizerKind.Adam => new Adam<T>(parameters, learningRate),
            _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, $"OptimizerRecipe: unknown optimizer kind {Kind}."),
        };
    }
}

/// <summary>
/// A loss curve of one training run, recorded at evaluation points: the optimizer steps taken, the training
/// examples processed (forward and backward, the fair unit between full-batch and mini-batch methods), the wall
/// time spent training (evaluations excluded), and the loss there. Introduced in notebook 17-learning-methods
/// (used again in 17-learning-methods).
/// </summary>
/// <param name="Method">The optimizer's name, e.g. "Adam" or "L-BFGS".</param>
/// <param name="LearningRate">The learning rate of the run (NaN for the full-batch methods, which choose their own
/// step by a line search).</param>
/// <param name="Steps">Optimizer steps (mini-batch) or gradient evaluations (full batch) at each point; 0 first.</param>
/// <param name="Examples">Training examples processed at each point.</param>
/// <param name="Seconds">Training wall time at each point, in seconds.</param>
/// <param name="Loss">The loss at each point (how it is measured is the producer's documented choice).</param>
/// <param name="Diverged">True when the run stopped at a non-finite loss; the last point is the last finite one.</param>
public sealed record LearningCurve(string Method, double LearningRate, int[] Steps, long[] Examples, double[] Seconds, double[] Loss, bool Diverged)
{
    /// <summary>The last loss recorded, or +∞ when the run diverged (so a diverged run ranks last).</summary>
    public double FinalLoss => Diverged || Loss.Length == 0 ? double.PositiveInfinity : Loss[^1];

    /// <summary>
    /// The examples processed when the loss first fell to <paramref name="target"/> or below, or null when it never
    /// did.
    /// </summary>
    public long? ExamplesToReach(double target)
    {
        for (int i = 0; i < Loss.Length; i++) if (Loss[i] <= target) return Examples[i];
        return null;
    }

    /// <summary>
    /// The loss recorded at the last point that had processed at most <paramref name="examples"/> examples: what a
    /// run stopped at that budget shows. A run that ended earlier (a full-batch method that converged) keeps its last
    /// loss; a run that diverged before that budget gives +∞ (it ranks last, as in <see cref="FinalLoss"/>); NaN
    /// before the first point.
    /// </summary>
    public double LossAt(long examples)
    {
        if (Diverged && Examples.Length > 0 && examples > Examples[^1]) return double.PositiveInfinity;
        double loss = double.NaN;
        for (int i = 0; i < Examples.Length && Examples[i] <= examples; i++) loss = Loss[i];
        return loss;
    }

    /// <summary>The wall time (s) when the loss first fell to <paramref name="target"/> or below, or null when it never did.</summary>
    public double? SecondsToReach(double target)
    {
        for (int i = 0; i < Loss.Length; i++) if (Loss[i] <= target) return Seconds[i];
        return null;
    }
}

/// <summary>
/// What a learning-rate sweep of one optimizer gave: the rates tried, each run's score (lower is better; +∞ for a
/// run that diverged or never met its goal), the runs themselves, and the best rate. Ties go to the rate tried
/// first. Introduced in notebook 16-optimizer-comparison.
/// </summary>
/// <typeparam name="TRun">The record of one run: an <see cref="OptimizerPathResult"/> on a surface, a
/// <see cref="LearningCurve"/> on a network.</typeparam>
/// <param name="Recipe">The optimizer swept.</param>
/// <param name="LearningRates">The rates tried, in the order tried.</param>
/// <param name="Scores">Score of each rate (lower is better).</param>
/// <param name="Runs">The run of each rate.</param>
public sealed record SweepResult<TRun>(OptimizerRecipe Recipe, double[] LearningRates, double[] Scores, TRun[] Runs)
{
    /// <summary>Index of the best (lowest) score; the first one on ties; 0 when every score is +∞ or NaN.</summary>
    public int BestIndex
    {
        get
        {
            int best = 0;
            for (int i = 1; i < Scores.Length; i++) if (Scores[i] < Scores[best] || double.IsNaN(Scores[best]) && !double.IsNaN(Scores[i])) best = i;
            return best;
        }
    }

    /// <summary>The learning rate with the best score.</summary>
    public double BestLearningRate => LearningRates[BestIndex];

    /// <summary>The best score.</summary>
    public double BestScore => Scores[BestIndex];

    /// <summary>The run with the best score.</summary>
    public TRun BestRun => Runs[BestIndex];
}

/// <summary>One place of a ranking: 1 is the best. Introduced in notebook 16-optimizer-comparison.</summary>
/// <param name="Place">1-based place; tied scores share a place (1, 2, 2, 4).</param>
/// <param name="Optimizer">The optimizer's name.</param>
/// <param name="LearningRate">Its best learning rate in the sweep.</param>
/// <param name="Score">Its best score (lower is better).</param>
public sealed record RankEntry(int Place, string Optimizer, double LearningRate, double Score);

/// <summary>
/// Learning-rate sweeps and rankings: each optimizer gets the learning rate that served it best from a small grid,
/// on a 2-D test surface (the path of <see cref="OptimizerPath"/>) or on a network (a <see cref="LearningCurve"/>),
/// and the optimizers are ranked by their best scores. The notebooks print the ranking from these numbers.
/// Introduced in notebook 16-optimizer-comparison (the mini-batch runs of 17-learning-methods use
/// <see cref="TrainCurve"/>).
/// </summary>
public static class OptimizerSweep
{
    /// <summary>
    /// A log-spaced grid: <paramref name="count"/> rates from <paramref name="low"/> to <paramref name="high"/>,
    /// both included (e.g. 1e-4 to 1 in 9 points gives 1e-4, 3.16e-4, 1e-3, ..., 1).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">low not positive, high below low, or count below 2.</exception>
    public static double[] LogGrid(double low, double high, int count)
    {
        if (!(low > 0) || !(high >= low) || !double.IsFinite(high))
            throw new ArgumentOutOfRangeException(nameof(low), low, $"OptimizerSweep.LogGrid: expected 0 < low <= high, finite; got low {low}, high {high}.");
        if (count < 2)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"OptimizerSweep.LogGrid: expected at least 2 points, got {count}.");
        var grid = new double[count];
        double a = Math.Log10(low), b = Math.Log10(high);
        for (int i = 0; i < count; i++) grid[i] = Math.Pow(10, a + (b - a) * i / (count - 1));
        grid[0] = low;
        grid[^1] = high;
        return grid;
    }

    /// <summary>
    /// Score of a surface path: its final loss, or +∞ when it diverged. Lower is better; for surfaces with a
    /// minimum.
    /// </summary>
    public static double FinalLoss(OptimizerPathResult path) => path.Diverged ? double.PositiveInfinity : path.Loss[^1];

    /// <summary>
    /// Score of a surface path: the number of steps until the loss first fell to <paramref name="threshold"/> or
    /// below, or +∞ when it never did (within the path, which stops early when it leaves the divergence limit).
    /// For the saddle, where "lower" has no end: how fast the optimizer escapes.
    /// </summary>
    public static Func<OptimizerPathResult, double> StepsToReach(double threshold) => path =>
    {
        for (int k = 0; k < path.Loss.Length; k++) if (path.Loss[k] <= threshold) return k;
        return double.PositiveInfinity;
    };

    /// <summary>
    /// Runs <paramref name="recipe"/> on <paramref name="surface"/> from <paramref name="start"/> for
    /// <paramref name="steps"/> steps at every rate of <paramref name="learningRates"/> (through
    /// <see cref="OptimizerPath.Run"/>) and scores each path with <paramref name="score"/> (lower is better).
    /// </summary>
    /// <exception cref="ArgumentException">No learning rates.</exception>
    public static SweepResult<OptimizerPathResult> OnSurface(Surface2D surface, (double X, double Y) start, OptimizerRecipe recipe,
        IReadOnlyList<double> learningRates, int steps, Func<OptimizerPathResult, double> score)
    {
        ArgumentNullException.ThrowIfNull(surface);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(score);
        CheckRates(learningRates);
        var runs = learningRates.Select(lr => OptimizerPath.Run(surface, start, p => recipe.Create(p, lr), steps)).ToArray();
        return new SweepResult<OptimizerPathResult>(recipe, learningRates.ToArray(), runs.Select(score).ToArray(), runs);
    }

    /// <summary>
    /// Ranks sweeps by their best scores, lowest first; equal scores share a place and keep the order given.
    /// </summary>
    public static IReadOnlyList<RankEntry> Rank<TRun>(IEnumerable<SweepResult<TRun>> sweeps)
    {
        ArgumentNullException.ThrowIfNull(sweeps);
        var ordered = sweeps.Select((s, i) => (Sweep: s, Order: i))
            .OrderBy(s => double.IsNaN(s.Sweep.BestScore) ? double.PositiveInfinity : s.Sweep.BestScore).ThenBy(s => s.Order).ToList();
        var ranking = new List<RankEntry>(ordered.Count);
        for (int i = 0; i < ordered.Count; i++)
        {
            int place = i > 0 && ordered[i].Sweep.BestScore.Equals(ordered[i - 1].Sweep.BestScore) ? ranking[i - 1].Place : i + 1;
            ranking.Add(new RankEntry(place, ordered[i].Sweep.Recipe.Name, ordered[i].Sweep.BestLearningRate, ordered[i].Sweep.BestScore));
        }
        return ranking;
    }

    /// <summary>
    /// Trains a fresh model from <paramref name="makeModel"/> with <paramref name="recipe"/> at
    /// <paramref name="learningRate"/> on shuffled mini-batches of <paramref name="train"/> (softmax cross-entropy)
    /// until <paramref name="exampleBudget"/> examples have been processed, and records the mean cross-entropy on
    /// <paramref name="evaluation"/> at the start and every <paramref name="evaluateEvery"/> examples (and at the
    /// end). Evaluations run in evaluation mode and are left out of the recorded wall time and example count.
    /// </summary>
    /// <param name="makeModel">Builds the (seeded) model; called once, so every run starts from the same weights.</param>
    /// <param name="recipe">The optimizer.</param>
    /// <param name="learningRate">Its learning rate.</param>
    /// <param name="train">The training examples.</param>
    /// <param name="evaluation">Where the loss is measured (the training set itself, or a fixed part of it).</param>
    /// <param name="exampleBudget">Examples to process, ≥ 1 (the last batch may overshoot by less than a batch).</param>
    /// <param name="batchSize">Examples per step, ≥ 1.</param>
    /// <param name="evaluateEvery">Examples between two evaluations, ≥ 1.</param>
    /// <param name="seed">Seeds the shuffle.</param>
    /// <param name="onBatch">Called after every step (for a progress display).</param>
    /// <returns>The curve; <see cref="LearningCurve.Diverged"/> is set (and training stops) at the first non-finite
    /// batch loss.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A budget, batch size or evaluation interval below 1.</exception>
    public static LearningCurve TrainCurve(Func<Module<float>> makeModel, OptimizerRecipe recipe, double learningRate,
        LabeledImages train, LabeledImages evaluation, long exampleBudget, int batchSize, long evaluateEvery, int seed = 0,
        Action<Training.BatchProgress>? onBatch = null)
    {
        ArgumentNullException.ThrowIfNull(makeModel);
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(evaluation);
        if (exampleBudget < 1) throw new ArgumentOutOfRangeException(nameof(exampleBudget), exampleBudget, $"OptimizerSweep.TrainCurve: the example budget must be at least 1, got {exampleBudget}.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"OptimizerSweep.TrainCurve: the batch size must be at least 1, got {batchSize}.");
        if (evaluateEvery < 1) throw new ArgumentOutOfRangeException(nameof(evaluateEvery), evaluateEvery, $"OptimizerSweep.TrainCurve: evaluateEvery must be at least 1, got {evaluateEvery}.");

        var model = makeModel();
        var optimizer = recipe.Create(model.Parameters(), learningRate);
        using var reuse = ReusedBuffers.During(model);
        var loss = new CrossEntropyLoss<float> { ReuseBuffers = true };
        var loader = new DataLoader<float>(train.Images, train.Labels, batchSize, shuffle: true, seed: seed);
        var steps = new List<int>();
        var examples = new List<long>();
        var seconds = new List<double>();
        var losses = new List<double>();
        var clock = new Stopwatch();
        int step = 0;
        long seen = 0, nextEvaluation = evaluateEvery;
        bool diverged = false;
        void Record()
        {
            steps.Add(step);
            examples.Add(seen);
            seconds.Add(clock.Elapsed.TotalSeconds);
            losses.Add(Training.Evaluate(model, evaluation).Loss);
        }

        Record();
        int epoch = 0, batches = loader.BatchCount;
        while (seen < exampleBudget && !diverged)
        {
            epoch++;
            int batchInEpoch = 0;
            double epochLoss = 0;
            long epochSeen = 0, epochCorrect = 0;
            var epochClock = Stopwatch.StartNew();
            foreach (var batch in loader)
            {
                clock.Start();
                bool stepped = Training.TryStep(model, optimizer, loss, batch.X, batch.Y, out double value, out var logits);
                clock.Stop();
                if (!stepped)
                {
                    diverged = true;
                    break;
                }
                step++;
                batchInEpoch++;
                seen += batch.Y.Length;
                epochSeen += batch.Y.Length;
                epochLoss += value * batch.Y.Length;
                epochCorrect += Training.CountCorrect(logits, batch.Y);
                onBatch?.Invoke(new Training.BatchProgress(epoch, (int)Math.Min(int.MaxValue, (exampleBudget + train.Count - 1) / train.Count), batchInEpoch, batches,
                    epochLoss / epochSeen, (double)epochCorrect / epochSeen, epochSeen, epochClock.Elapsed));
                if (seen >= nextEvaluation || seen >= exampleBudget)
                {
                    var evaluationLoss = Training.Evaluate(model, evaluation).Loss;
                    if (!double.IsFinite(evaluationLoss)) { diverged = true; break; }
                    steps.Add(step);
                    examples.Add(seen);
                    seconds.Add(clock.Elapsed.TotalSeconds);
                    losses.Add(evaluationLoss);
                    while (nextEvaluation <= seen) nextEvaluation += evaluateEvery;
                }
                if (seen >= exampleBudget) break;
            }
        }
        return new LearningCurve(recipe.Name, learningRate, steps.ToArray(), examples.ToArray(), seconds.ToArray(), losses.ToArray(), diverged);
    }

    /// <summary>
    /// Sweeps <paramref name="learningRates"/> for one optimizer with <see cref="TrainCurve"/> (every run from the
    /// same initial weights and the same batch order) and scores each run by its final loss (+∞ if it diverged).
    /// </summary>
    /// <param name="makeModel">Builds the (seeded) model; called once per run.</param>
    /// <param name="recipe">The optimizer.</param>
    /// <param name="learningRates">The rates to try.</param>
    /// <param name="train">The training examples.</param>
    /// <param name="evaluation">Where the loss is measured.</param>
    /// <param name="exampleBudget">Examples each run processes.</param>
    /// <param name="batchSize">Examples per step.</param>
    /// <param name="evaluateEvery">Examples between two evaluations.</param>
    /// <param name="seed">Seeds the shuffle (the same for every rate).</param>
    /// <param name="onBatch">Called after every step.</param>
    /// <param name="onRun">Called after each run with a one-line summary (for a progress display).</param>
    /// <exception cref="ArgumentException">No learning rates.</exception>
    public static SweepResult<LearningCurve> OnNetwork(Func<Module<float>> makeModel, OptimizerRecipe recipe, IReadOnlyList<double> learningRates,
        LabeledImages train, LabeledImages evaluation, long exampleBudget, int batchSize, long evaluateEvery, int seed = 0,
        Action<Training.BatchProgress>? onBatch = null, Action<string>? onRun = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        CheckRates(learningRates);
        var runs = new LearningCurve[learningRates.Count];
        for (int i = 0; i < runs.Length; i++)
        {
            runs[i] = TrainCurve(makeModel, recipe, learningRates[i], train, evaluation, exampleBudget, batchSize, evaluateEvery, seed, onBatch);
            onRun?.Invoke(FormattableString.Invariant(
                $"{recipe.Name}, lr {learningRates[i]:G3}: loss {runs[i].Loss[0]:F3} → {(runs[i].Diverged ? "diverged" : runs[i].FinalLoss.ToString("F3", System.Globalization.CultureInfo.InvariantCulture))} in {runs[i].Steps[^1]} steps, {runs[i].Seconds[^1]:F2} s"));
        }
        return new SweepResult<LearningCurve>(recipe, learningRates.ToArray(), runs.Select(r => r.FinalLoss).ToArray(), runs);
    }

    private static void CheckRates(IReadOnlyList<double> learningRates)
    {
        ArgumentNullException.ThrowIfNull(learningRates);
        if (learningRates.Count == 0) throw new ArgumentException("OptimizerSweep: the list of learning rates is empty (expected at least one).", nameof(learningRates));
    }
}
