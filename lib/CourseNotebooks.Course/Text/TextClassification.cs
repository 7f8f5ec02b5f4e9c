using System.Diagnostics;
using CourseNotebooks.Course.Data;
using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Losses;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Text;

/// <summary>
/// The text CNN of Kim (2014) as a model, with its parts named so a notebook can look inside: the embedding, the
/// convolution of each width, and the whole network. Introduced in notebook 09-cnn-for-text.
/// </summary>
/// <param name="Model">Embedding, Transpose(1, 2), ParallelConcat of one branch per width (Conv1d, ReLU,
/// AdaptiveMaxPool1d(1)), Flatten, Dropout, Linear(filters x widths, 2).</param>
/// <param name="Embedding">The first layer (its padding row is <see cref="Vocabulary.PadIndex"/>).</param>
/// <param name="Convolutions">The convolution of each branch, in the order of <paramref name="Widths"/>.</param>
/// <param name="Widths">The filter widths, in words.</param>
public sealed record TextCnn(Sequential<float> Model, Embedding<float> Embedding, IReadOnlyList<Conv1d<float>> Convolutions, IReadOnlyList<int> Widths);

/// <summary>What one filter responds to: a window of the test sentences and the filter's response there.
/// Introduced in notebook 09-cnn-for-text.</summary>
/// <param name="NGram">The window's words (padding left out).</param>
/// <param name="Activation">The convolution's output there (before the ReLU).</param>
/// <param name="Sentence">The sentence's row in the token tensor.</param>
/// <param name="Position">The window's first word.</param>
public sealed record NGramActivation(string NGram, double Activation, int Sentence, int Position);

/// <summary>
/// Sentence classification with the engine's layers: the text CNN of Kim (2014), the training loop over token
/// tensors, accuracy, and the n-grams each filter responds to most. Introduced in notebook 09-cnn-for-text.
/// </summary>
/// <remarks>
/// Kim, "Convolutional Neural Networks for Sentence Classification", EMNLP 2014: word vectors, convolutions of
/// widths 3, 4 and 5 with 100 filters each, ReLU, max-over-time pooling, dropout 0.5 and a linear classifier. His
/// CNN-rand (embeddings learned from scratch, no word2vec) is the variant built here, smaller (fewer filters,
/// shorter vectors) to train in seconds on 2,400 sentences.
/// </remarks>
public static class TextClassification
{
    /// <summary>
    /// Kim's text CNN (CNN-rand): [N, L] token ids to [N, 2] logits. PyTorch: nn.Embedding, then for each width
    /// F.relu(conv(x.transpose(1, 2))).max(dim=2), torch.cat, nn.Dropout, nn.Linear.
    /// </summary>
    /// <param name="vocabularySize">V, the embedding's rows.</param>
    /// <param name="embeddingDim">E, the length of a word vector (the convolutions' input channels).</param>
    /// <param name="widths">Filter widths in words, e.g. 3, 4, 5.</param>
    /// <param name="filters">Filters per width.</param>
    /// <param name="dropout">Drop probability before the linear layer.</param>
    /// <param name="seed">Seeds every layer (each its own derived seed).</param>
    /// <exception cref="ArgumentException">No widths.</exception>
    public static TextCnn KimCnn(int vocabularySize, int embeddingDim, IReadOnlyList<int> widths, int filters, double dropout, int seed)
    {
        ArgumentNullException.ThrowIfNull(widths);
        if (widths.Count == 0) throw new ArgumentException("TextClassification.KimCnn: widths: expected at least one filter width, got none.", nameof(widths));
        var embedding = new Embedding<float>(vocabularySize, embeddingDim, paddingIndex: Vocabulary.PadIndex, seed: seed);
        var convolutions = widths.Select((w, i) => new Conv1d<float>(embeddingDim, filters, w, seed: seed + 1 + i)).ToArray();
        var branches = convolutions.Select(c => (Module<float>)new Sequential<float>(c, new ReLU<float>(), new AdaptiveMaxPool1d<float>(1))).ToArray();
        var model = new Sequential<float>(
            embedding,
            new Transpose<float>(1, 2),
            new ParallelConcat<float>(branches),
            new Flatten<float>(),
            new Dropout<float>(dropout, seed: seed + 100),
            new Linear<float>(filters * widths.Count, 2, seed: seed + 101));
        return new TextCnn(model, embedding, convolutions, widths.ToArray());
    }

    /// <summary>
    /// Trains <paramref name="model"/> (logits [N, classes]) with softmax cross-entropy on token or feature rows
    /// <paramref name="inputs"/> [N, ...] for <paramref name="epochs"/> epochs of shuffled mini-batches (seeded), the
    /// same step as <see cref="Training.Fit"/>; the test accuracy after each epoch when a test set is given.
    /// </summary>
    /// <exception cref="NonFiniteLossException">A batch loss is NaN or infinite.</exception>
    public static IReadOnlyList<Training.EpochResult> Fit(Module<float> model, Optimizer<float> optimizer,
        Tensor<float> inputs, int[] labels, Tensor<float>? testInputs, int[]? testLabels, int epochs, int batchSize = 50, int seed = 0,
        Action<Training.EpochResult>? onEpoch = null, Action<Training.BatchProgress>? onBatch = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        if ((testInputs is null) != (testLabels is null))
            throw new ArgumentException("TextClassification.Fit: give both testInputs and testLabels, or neither.", nameof(testLabels));
        using var reuse = ReusedBuffers.During(model);
        var loss = new CrossEntropyLoss<float> { ReuseBuffers = true };
        var loader = new DataLoader<float>(inputs, labels, batchSize, shuffle: true, seed: seed);
        var history = new List<Training.EpochResult>();
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            int epochNow = epoch;
            var (lossSum, correct, seen) = Training.TrainEpoch(model, optimizer, loss, loader, epoch, onBatch is null ? null
                : (step, lossSoFar, correctSoFar, seenSoFar) => onBatch(new Training.BatchProgress(epochNow, epochs, step, loader.BatchCount,
                    lossSoFar / seenSoFar, (double)correctSoFar / seenSoFar, seenSoFar, clock.Elapsed)));
            double? testAccuracy = testInputs is null ? null : Accuracy(model, testInputs, testLabels!);
            var result = new Training.EpochResult(epoch, lossSum / Math.Max(1, seen), (double)correct / Math.Max(1, seen), testAccuracy, clock.Elapsed);
            history.Add(result);
            onEpoch?.Invoke(result);
        }
        return history;
    }

    /// <summary>Fraction of rows whose arg-max logit is the label, in evaluation mode (Dropout off).</summary>
    /// <exception cref="ArgumentException">The inputs and labels differ in count.</exception>
    public static double Accuracy(Module<float> model, Tensor<float> inputs, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        if (inputs.Size(0) != labels.Length)
            throw new ArgumentException($"TextClassification.Accuracy: {inputs.Size(0)} rows (shape {inputs.ShapeString}) but {labels.Length} labels.", nameof(labels));
        int[] predictions = Training.Predict(model, inputs);
        int correct = 0;
        for (int i = 0; i < labels.Length; i++) if (predictions[i] == labels[i]) correct++;
        return labels.Length == 0 ? 0 : (double)correct / labels.Length;
    }

    /// <summary>
    /// The convolution outputs of one branch for every sentence: [N, filters, L - width + 1], before the ReLU and
    /// the pooling (in evaluation mode; the model's mode is restored).
    /// </summary>
    public static Tensor<float> FilterResponses(TextCnn cnn, int branch, Tensor<float> tokens)
    {
        ArgumentNullException.ThrowIfNull(cnn);
        ArgumentNullException.ThrowIfNull(tokens);
        bool wasTraining = cnn.Model.Training;
        cnn.Model.Eval();
        try
        {
            var embedded = new Transpose<float>(1, 2).Forward(cnn.Embedding.Forward(tokens));
            return cnn.Convolutions[branch].Forward(embedded).Clone();
        }
        finally
        {
            cnn.Model.Train(wasTraining);
        }
    }

    /// <summary>
    /// The <paramref name="count"/> strongest responses of filter <paramref name="filter"/> of branch
    /// <paramref name="branch"/> over the sentences <paramref name="tokens"/>, each distinct n-gram once (its
    /// strongest occurrence), windows made only of padding left out. What max-over-time pooling passes on for that
    /// filter is exactly one of these per sentence.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The branch or filter does not exist.</exception>
    public static IReadOnlyList<NGramActivation> TopNGrams(TextCnn cnn, int branch, int filter, Tensor<float> tokens, Vocabulary vocabulary, int count)
    {
        ArgumentNullException.ThrowIfNull(cnn);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfNegative(branch);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(branch, cnn.Convolutions.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(filter);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(filter, cnn.Convolutions[branch].OutChannels);
        var responses = FilterResponses(cnn, branch, tokens);
        int n = responses.Size(0), filters = responses.Size(1), positions = responses.Size(2), l = tokens.Size(1), width = cnn.Widths[branch];
        var candidates = new List<(double Value, int Sentence, int Position)>(n * positions);
        for (int s = 0; s < n; s++)
            for (int p = 0; p < positions; p++)
                if (tokens.Data[s * l + p] != Vocabulary.PadIndex)   // sentences are padded at the end: a window starting on a word has one
                    candidates.Add((responses.Data[(s * filters + filter) * positions + p], s, p));
        var result = new List<NGramActivation>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (value, s, p) in candidates.OrderByDescending(c => c.Value).ThenBy(c => c.Sentence).ThenBy(c => c.Position))
        {
            string text = vocabulary.Decode(tokens.Data.AsSpan(s * l + p, width));
            if (!seen.Add(text)) continue;
            result.Add(new NGramActivation(text, value, s, p));
            if (result.Count == count) break;
        }
        return result;
    }
}
