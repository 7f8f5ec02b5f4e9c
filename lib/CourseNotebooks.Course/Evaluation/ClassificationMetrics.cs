using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Evaluation;

/// <summary>
/// A confusion matrix of a classifier on a labelled set, and the scores read from it: accuracy, and per class
/// precision, recall and F1 with their unweighted (macro) means. Row = true class, column = predicted class, so
/// <c>this[t, p]</c> counts the images of class t the classifier called p; the diagonal holds the correct ones.
/// Introduced in notebook 07-training-on-real-data.
/// scikit-learn: <c>sklearn.metrics.confusion_matrix(y_true, y_pred)</c> (same orientation) and
/// <c>precision_recall_fscore_support(y_true, y_pred, average=None / "macro", zero_division=0)</c>.
/// </summary>
/// <remarks>
/// <para>For class c with TP = this[c, c], FP = the rest of column c, FN = the rest of row c:
/// precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2 TP / (2 TP + FP + FN) (the harmonic mean of
/// precision and recall, written so that it is defined whenever either is).</para>
/// <para>Edges: a ratio whose denominator is 0 is 0 (a class never predicted has precision 0, a class absent from
/// the labels recall 0), as scikit-learn's <c>zero_division=0</c>; its default also gives 0 but warns. Macro scores
/// average over all classes, those with no images included, as scikit-learn's "macro" does over the labels it is
/// given. The macro F1 is the mean of the per-class F1 scores, not the F1 of the macro precision and recall.</para>
/// </remarks>
public sealed class ConfusionMatrix
{
    private readonly int[,] _counts;

    /// <summary>Counts every (true, predicted) pair.</summary>
    /// <param name="labels">The true class of each example, in [0, classNames.Count).</param>
    /// <param name="predictions">The predicted class of each example, same length, same range.</param>
    /// <param name="classNames">The name of each class, indexed by label (at least one).</param>
    /// <exception cref="ArgumentException">The two arrays differ in length, there are no classes, or a label or
    /// prediction is out of range (the message names its index and value).</exception>
    public ConfusionMatrix(IReadOnlyList<int> labels, IReadOnlyList<int> predictions, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count == 0)
            throw new ArgumentException("ConfusionMatrix: at least one class is needed.", nameof(classNames));
        if (labels.Count != predictions.Count)
            throw new ArgumentException($"ConfusionMatrix: {labels.Count} labels but {predictions.Count} predictions.", nameof(predictions));
        int k = classNames.Count;
        _counts = new int[k, k];
        for (int i = 0; i < labels.Count; i++)
        {
            if ((uint)labels[i] >= (uint)k)
                throw new ArgumentException($"ConfusionMatrix: label {i} is {labels[i]}, expected 0 to {k - 1}.", nameof(labels));
            if ((uint)predictions[i] >= (uint)k)
                throw new ArgumentException($"ConfusionMatrix: prediction {i} is {predictions[i]}, expected 0 to {k - 1}.", nameof(predictions));
            _counts[labels[i], predictions[i]]++;
        }
        ClassNames = classNames;
        Total = labels.Count;
    }

    /// <summary>The model's arg-max predictions on <paramref name="data"/> (evaluation mode, <see cref="Training.Predict"/>)
    /// against its labels.</summary>
    public static ConfusionMatrix Of(Module<float> model, LabeledImages data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        return new ConfusionMatrix(data.Labels, Training.Predict(model, data.Images), data.ClassNames);
    }

    /// <summary>The class names, indexed by label (rows and columns in this order).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of classes K (the matrix is K x K).</summary>
    public int Classes => ClassNames.Count;

    /// <summary>Number of examples counted (the sum of all cells).</summary>
    public int Total { get; }

    /// <summary>How many examples of class <paramref name="actual"/> were predicted as <paramref name="predicted"/>.</summary>
    public int this[int actual, int predicted] => _counts[actual, predicted];

    /// <summary>A copy of the counts, [true class, predicted class].</summary>
    public int[,] ToArray() => (int[,])_counts.Clone();

    /// <summary>Examples of class c in the labels (row sum). scikit-learn: "support".</summary>
    public int Support(int c) => RowSum(CheckClass(c));

    /// <summary>Examples predicted as class c (column sum).</summary>
    public int PredictedCount(int c)
    {
        CheckClass(c);
        int sum = 0;
        for (int t = 0; t < Classes; t++) sum += _counts[t, c];
        return sum;
    }

    /// <summary>Share of examples on the diagonal; 0 for an empty matrix.</summary>
    public double Accuracy
    {
        get
        {
            long correct = 0;
            for (int c = 0; c < Classes; c++) correct += _counts[c, c];
            return Total == 0 ? 0 : (double)correct / Total;
        }
    }

    /// <summary>TP / (TP + FP): of the examples called c, the share that are c; 0 when none was called c.</summary>
    public double Precision(int c) => Ratio(_counts[CheckClass(c), c], PredictedCount(c));

    /// <summary>TP / (TP + FN): of the examples of class c, the share called c; 0 when there are none.</summary>
    public double Recall(int c) => Ratio(_counts[CheckClass(c), c], RowSum(c));

    /// <summary>2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall; 0 when TP + FP + FN = 0.</summary>
    public double F1(int c)
    {
        int tp = _counts[CheckClass(c), c];
        return Ratio(2 * tp, RowSum(c) + PredictedCount(c));
    }

    /// <summary>The unweighted mean of <see cref="Precision"/> over all classes.</summary>
    public double MacroPrecision => MeanOver(Precision);

    /// <summary>The unweighted mean of <see cref="Recall"/> over all classes (the "balanced accuracy").</summary>
    public double MacroRecall => MeanOver(Recall);

    /// <summary>The unweighted mean of <see cref="F1"/> over all classes.</summary>
    public double MacroF1 => MeanOver(F1);

    /// <summary>One row per class: precision, recall, F1 and support (a table in a notebook). scikit-learn:
    /// <c>classification_report</c> without its averages.</summary>
    public ClassScores[] PerClass() =>
        [.. Enumerable.Range(0, Classes).Select(c => new ClassScores(c, ClassNames[c], Precision(c), Recall(c), F1(c), Support(c)))];

    /// <summary>
    /// The <paramref name="count"/> largest off-diagonal cells (true class, predicted class, count), largest first;
    /// ties by true class, then predicted class. Cells with count 0 are left out, so fewer may come back.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">count is negative.</exception>
    public (int Actual, int Predicted, int Count)[] MostConfused(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var cells = new List<(int Actual, int Predicted, int Count)>();
        for (int t = 0; t < Classes; t++)
            for (int p = 0; p < Classes; p++)
                if (t != p && _counts[t, p] > 0) cells.Add((t, p, _counts[t, p]));
        return [.. cells.OrderByDescending(x => x.Count).ThenBy(x => x.Actual).ThenBy(x => x.Predicted).Take(count)];
    }

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"ConfusionMatrix: {Classes} classes, {Total} examples, accuracy {Accuracy:P2}, macro F1 {MacroF1:F4}");

    private int RowSum(int c)
    {
        int sum = 0;
        for (int p = 0; p < Classes; p++) sum += _counts[c, p];
        return sum;
    }

    private double MeanOver(Func<int, double> score)
    {
        double sum = 0;
        for (int c = 0; c < Classes; c++) sum += score(c);
        return sum / Classes;
    }

    private int CheckClass(int c)
    {
        if ((uint)c >= (uint)Classes)
            throw new ArgumentOutOfRangeException(nameof(c), c, $"ConfusionMatrix: class must be 0 to {Classes - 1}, got {c}.");
        return c;
    }

    private static double Ratio(int numerator, int denominator) => denominator == 0 ? 0 : (double)numerator / denominator;
}

/// <summary>The scores of one class in a <see cref="ConfusionMatrix"/>. Introduced in notebook 07-training-on-real-data.</summary>
/// <param name="Class">The label.</param>
/// <param name="Name">The class name.</param>
/// <param name="Precision">TP / (TP + FP).</param>
/// <param name="Recall">TP / (TP + FN).</param>
/// <param name="F1">2 TP / (2 TP + FP + FN).</param>
/// <param name="Support">Examples of this class.</param>
public sealed record ClassScores(int Class, string Name, double Precision, double Recall, double F1, int Support);

/// <summary>One wrong prediction with the probability the model gave it (see <see cref="ClassificationMetrics.MostConfidentMistakes"/>).
/// Introduced in notebook 07-training-on-real-data.</summary>
/// <param name="Index">The example's index in its data set.</param>
/// <param name="Label">Its true class.</param>
/// <param name="Predicted">The class the model chose (its arg-max).</param>
/// <param name="Confidence">The softmax probability of <paramref name="Predicted"/>, in (0, 1].</param>
/// <param name="LabelProbability">The softmax probability the model gave the true class.</param>
public sealed record Mistake(int Index, int Label, int Predicted, double Confidence, double LabelProbability);

/// <summary>
/// Helpers on a classifier's predicted probabilities that a confusion matrix does not keep. Introduced in notebook
/// 07-training-on-real-data.
/// </summary>
public static class ClassificationMetrics
{
    /// <summary>
    /// The wrong predictions the model was surest of: rows of <paramref name="probabilities"/> whose arg-max is not
    /// the label, ordered by the arg-max's probability, highest first (ties by index), at most
    /// <paramref name="count"/> of them.
    /// </summary>
    /// <param name="probabilities">[N, classes], each row a distribution (e.g. <see cref="Training.PredictProbabilities"/>).</param>
    /// <param name="labels">N true classes.</param>
    /// <param name="count">How many to return at most (≥ 0).</param>
    /// <exception cref="ArgumentException">probabilities is not [N, classes] with N = labels.Length, or a label is
    /// out of range.</exception>
    public static Mistake[] MostConfidentMistakes(Tensor<float> probabilities, IReadOnlyList<int> labels, int count)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (probabilities.Rank != 2 || probabilities.Size(0) != labels.Count)
            throw new ArgumentException($"ClassificationMetrics.MostConfidentMistakes: probabilities shape: expected [{labels.Count}, classes], got {probabilities.ShapeString}.", nameof(probabilities));
        int classes = probabilities.Size(1);
        var mistakes = new List<Mistake>();
        for (int i = 0; i < labels.Count; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"ClassificationMetrics.MostConfidentMistakes: label {i} is {labels[i]}, expected 0 to {classes - 1}.", nameof(labels));
            var row = probabilities.Data.AsSpan(i * classes, classes);
            int best = 0;
            for (int j = 1; j < classes; j++) if (row[j] > row[best]) best = j;
            if (best != labels[i]) mistakes.Add(new Mistake(i, labels[i], best, row[best], row[labels[i]]));
        }
        return [.. mistakes.OrderByDescending(m => m.Confidence).ThenBy(m => m.Index).Take(count)];
    }
}
