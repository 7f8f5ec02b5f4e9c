using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Evaluation;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

public class ClassificationMetricsTests
{
    // Ten examples of three classes, scored by hand (row = true class, column = predicted):
    //   [2 1 1]   class 0: TP 2, FP 1, FN 2 -> precision 2/3, recall 1/2, F1 4/7
    //   [1 2 0]   class 1: TP 2, FP 2, FN 1 -> precision 1/2, recall 2/3, F1 4/7
    //   [0 1 2]   class 2: TP 2, FP 1, FN 1 -> precision 2/3, recall 2/3, F1 2/3
    // sklearn.metrics.precision_recall_fscore_support(labels, predictions) gives the same figures.
    private static readonly int[] Labels = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
    private static readonly int[] Predictions = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1];
    private static readonly string[] Names = ["a", "b", "c"];

    [Fact]
    public void Counts_AreRowsOfTrueAndColumnsOfPredictedClasses()
    {
        var matrix = new ConfusionMatrix(Labels, Predictions, Names);
        Assert.Equal(new[,] { { 2, 1, 1 }, { 1, 2, 0 }, { 0, 1, 2 } }, matrix.ToArray());
        Assert.Equal((10, 3), (matrix.Total, matrix.Classes));
        Assert.Equal([4, 3, 3], Enumerable.Range(0, 3).Select(matrix.Support));
        Assert.Equal([3, 4, 3], Enumerable.Range(0, 3).Select(matrix.PredictedCount));
        Assert.Equal(0.6, matrix.Accuracy, 15);
    }

    [Fact]
    public void PrecisionRecallAndF1_MatchTheHandComputedValues()
    {
        var matrix = new ConfusionMatrix(Labels, Predictions, Names);
        double[] precision = [2.0 / 3, 1.0 / 2, 2.0 / 3], recall = [1.0 / 2, 2.0 / 3, 2.0 / 3], f1 = [4.0 / 7, 4.0 / 7, 2.0 / 3];
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(precision[c], matrix.Precision(c), 15);
            Assert.Equal(recall[c], matrix.Recall(c), 15);
            Assert.Equal(f1[c], matrix.F1(c), 15);
            // F1 is the harmonic mean of the two.
            Assert.Equal(2 * precision[c] * recall[c] / (precision[c] + recall[c]), matrix.F1(c), 12);
        }
        Assert.Equal(11.0 / 18, matrix.MacroPrecision, 15);
        Assert.Equal(11.0 / 18, matrix.MacroRecall, 15);
        Assert.Equal(38.0 / 63, matrix.MacroF1, 15);
        var rows = matrix.PerClass();
        Assert.Equal(["a", "b", "c"], rows.Select(r => r.Name));
        Assert.Equal(f1, rows.Select(r => r.F1));
        Assert.Equal([4, 3, 3], rows.Select(r => r.Support));
    }

    [Fact]
    public void AClassNeverPredictedOrAbsent_ScoresZero_AsScikitLearnsZeroDivision()
    {
        // [[1 0 0], [1 0 0], [0 0 0]]: class 1 is never predicted, class 2 neither present nor predicted.
        var matrix = new ConfusionMatrix([0, 1], [0, 0], Names);
        Assert.Equal((0.5, 1.0, 2.0 / 3), (matrix.Precision(0), matrix.Recall(0), matrix.F1(0)));
        Assert.Equal((0.0, 0.0, 0.0), (matrix.Precision(1), matrix.Recall(1), matrix.F1(1)));
        Assert.Equal((0.0, 0.0, 0.0), (matrix.Precision(2), matrix.Recall(2), matrix.F1(2)));
        Assert.Equal(2.0 / 9, matrix.MacroF1, 15);
        Assert.Equal(0.0, new ConfusionMatrix([], [], Names).Accuracy);
    }

    [Fact]
    public void MostConfused_ListsTheLargestOffDiagonalCells_TiesInRowOrder()
    {
        var matrix = new ConfusionMatrix([0, 0, 0, 1, 2, 2], [1, 1, 2, 0, 0, 2], Names);
        Assert.Equal([(0, 1, 2), (0, 2, 1), (1, 0, 1)], matrix.MostConfused(3));
        Assert.Equal(4, matrix.MostConfused(10).Length);             // only the non-zero cells
        Assert.Empty(matrix.MostConfused(0));
    }

    [Fact]
    public void BadInputs_ThrowNamingWhatIsWrong()
    {
        Assert.Contains("2 labels but 1 predictions", Assert.Throws<ArgumentException>(() => new ConfusionMatrix([0, 1], [0], Names)).Message);
        Assert.Contains("prediction 1 is 3, expected 0 to 2", Assert.Throws<ArgumentException>(() => new ConfusionMatrix([0, 1], [0, 3], Names)).Message);
        Assert.Contains("label 0 is -1", Assert.Throws<ArgumentException>(() => new ConfusionMatrix([-1], [0], Names)).Message);
        Assert.Throws<ArgumentException>(() => new ConfusionMatrix([], [], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConfusionMatrix([0], [0], Names).Precision(3));
    }

    [Fact]
    public void Of_CountsTheModelsArgMaxPredictions()
    {
        var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(4, 3, seed: 3));
        var images = Tensor.Uniform<float>(new Random(1), 0, 1, 20, 1, 2, 2);
        int[] labels = [.. Enumerable.Range(0, 20).Select(i => i % 3)];
        var data = new LabeledImages("random", images, labels, Names);
        var matrix = ConfusionMatrix.Of(model, data);
        Assert.Equal(new ConfusionMatrix(labels, Training.Predict(model, images), Names).ToArray(), matrix.ToArray());
        Assert.Equal(Training.Accuracy(model, data), matrix.Accuracy, 15);
    }

    [Fact]
    public void MostConfidentMistakes_AreTheWrongRowsOrderedByTheirWinningProbability()
    {
        var probabilities = new Tensor<float>([
            0.7f, 0.2f, 0.1f,     // label 0, right
            0.1f, 0.3f, 0.6f,     // label 1, called 2 with 0.6
            0.9f, 0.05f, 0.05f,   // label 2, called 0 with 0.9
            0.2f, 0.5f, 0.3f,     // label 0, called 1 with 0.5
        ], 4, 3);
        var mistakes = ClassificationMetrics.MostConfidentMistakes(probabilities, [0, 1, 2, 0], 2);
        Assert.Equal([new Mistake(2, 2, 0, 0.9f, 0.05f), new Mistake(1, 1, 2, 0.6f, 0.3f)], mistakes);
        Assert.Equal(3, ClassificationMetrics.MostConfidentMistakes(probabilities, [0, 1, 2, 0], 10).Length);
        Assert.Contains("expected [3, classes]", Assert.Throws<ArgumentException>(() => ClassificationMetrics.MostConfidentMistakes(probabilities, [0, 1, 2], 1)).Message);
    }
}

public class TrainingValidationTests
{
    private static LabeledImages Stripes(int count, int seed)
    {
        // Class 0: bright left column; class 1: bright right column; plus noise.
        var random = new Random(seed);
        var images = new Tensor<float>(count, 1, 4, 4);
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = n % 2;
            for (int i = 0; i < 16; i++)
                images.Data[n * 16 + i] = (i % 4 == (labels[n] == 0 ? 0 : 3) ? 0.9f : 0.1f) + 0.1f * (float)random.NextDouble();
        }
        return new LabeledImages("stripes", images, labels, ["left", "right"]);
    }

    [Fact]
    public void RandomSplit_GivesDisjointParts_ThatTogetherAreTheWholeSet_AndIsSeeded()
    {
        var data = Stripes(50, 1);
        for (int n = 0; n < 50; n++) data.Images.Data[n * 16] = n;     // tag each image with its index
        var (train, validation) = data.RandomSplit(12, seed: 4);
        Assert.Equal((38, 12), (train.Count, validation.Count));
        int[] Tags(LabeledImages part) => [.. Enumerable.Range(0, part.Count).Select(i => (int)part.Images.Data[i * 16])];
        Assert.Equal(Enumerable.Range(0, 50), Tags(train).Concat(Tags(validation)).Order());
        Assert.Equal(Tags(train).Order(), Tags(train));                   // original order kept
        Assert.All(Tags(validation).Select((tag, i) => (tag, i)), p => Assert.Equal(data.Labels[p.tag], validation.Labels[p.i]));
        Assert.Equal(Tags(validation), Tags(data.RandomSplit(12, seed: 4).Validation));
        Assert.NotEqual(Tags(validation), Tags(data.RandomSplit(12, seed: 5).Validation));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.RandomSplit(51, 0));
    }

    [Fact]
    public void Fit_WithAValidationSet_ReportsItsLossAndAccuracy_AsEvaluateMeasuresThem()
    {
        var train = Stripes(64, 2);
        var validation = Stripes(32, 3);
        var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(16, 2, seed: 1));
        var history = Training.Fit(model, new Sgd<float>(model.Parameters(), 0.1), train, validation, epochs: 2, batchSize: 16, seed: 1, heldOutName: "validation");
        var (loss, accuracy) = Training.Evaluate(model, validation);
        Assert.Equal(loss, history[^1].TestLoss!.Value, 6);
        Assert.Equal(accuracy, history[^1].TestAccuracy!.Value, 12);
        Assert.Contains("validation accuracy", history[^1].ToString());
        Assert.Contains("validation loss", history[^1].ToString());
        Assert.DoesNotContain("test", history[^1].ToString());
    }

    [Fact]
    public void Fit_StepsTheSchedulerAfterEachEpoch_AndRecordsEachEpochsRate()
    {
        var train = Stripes(32, 2);
        var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(16, 2, seed: 1));
        var optimizer = new Sgd<float>(model.Parameters(), 0.1, momentum: 0.9);
        var schedule = new StepLR(optimizer, stepSize: 1, gamma: 0.5);
        var history = Training.Fit(model, optimizer, train, null, epochs: 3, batchSize: 8, scheduler: schedule);
        Assert.Equal([0.1, 0.05, 0.025], history.Select(e => e.LearningRate!.Value));
        Assert.Equal(0.0125, optimizer.LearningRate, 15);
        Assert.Equal(3, schedule.Epoch);
        var other = new Sgd<float>(model.Parameters(), 0.1);
        Assert.Throws<ArgumentException>(() => Training.Fit(model, optimizer, train, null, 1, scheduler: new StepLR(other, 1)));
    }

    [Fact]
    public void PredictProbabilities_AreTheSoftmaxOfTheLogits_WhoseArgMaxIsPredict()
    {
        var data = Stripes(300, 5);                                       // more than one chunk of 256
        var model = new Sequential<float>(new Flatten<float>(), new Linear<float>(16, 2, seed: 7));
        var probabilities = Training.PredictProbabilities(model, data.Images);
        Assert.Equal([300, 2], probabilities.Shape.ToArray());
        var logits = model.Forward(data.Images);
        for (int n = 0; n < 300; n++)
        {
            double a = logits.Data[2 * n], b = logits.Data[2 * n + 1];
            Assert.Equal(Math.Exp(a) / (Math.Exp(a) + Math.Exp(b)), probabilities.Data[2 * n], 5);
            Assert.Equal(1.0, probabilities.Data[2 * n] + probabilities.Data[2 * n + 1], 5);
        }
        int[] argMax = [.. Enumerable.Range(0, 300).Select(n => probabilities.Data[2 * n + 1] > probabilities.Data[2 * n] ? 1 : 0)];
        Assert.Equal(Training.Predict(model, data.Images), argMax);
    }

    [Fact]
    public void FashionCnn_HasTheDocumentedShapeAndParameterCount()
    {
        var model = Models.FashionCnn<float>(seed: 1);
        Assert.Equal(206_922, model.ParameterCount());
        Assert.Equal((16 * 9 + 16) + (32 * 16 * 9 + 32) + (1568 * 128 + 128) + (128 * 10 + 10), model.ParameterCount());
        Assert.Equal([2, 10], model.OutputShape([2, 1, 28, 28]));
        Assert.Equal(16L * 9 * 784 + 32L * 16 * 9 * 196 + 1568 * 128 + 128 * 10, model.MultiplyAdds([1, 1, 28, 28]));
    }
}
