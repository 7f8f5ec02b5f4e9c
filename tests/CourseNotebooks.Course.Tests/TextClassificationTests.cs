using CourseNotebooks.Course.Text;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

/// <summary>Kim's text CNN as notebook 09-cnn-for-text builds and trains it.</summary>
public class TextClassificationTests
{
    [Fact]
    public void KimCnn_MapsTokenRowsToTwoLogits_AndItsPaddingStaysZeroWhileTraining()
    {
        var cnn = TextClassification.KimCnn(30, 8, [2, 3], 4, 0.5, seed: 1);
        var tokens = new Tensor<float>(4, 6);
        var random = new Random(2);
        for (int i = 0; i < tokens.Length; i++) tokens.Data[i] = i % 6 < 4 ? random.Next(2, 30) : Vocabulary.PadIndex;
        int[] labels = [0, 1, 1, 0];
        Assert.Equal([4, 2], cnn.Model.OutputShape(tokens.Shape));
        var history = TextClassification.Fit(cnn.Model, new Adam<float>(cnn.Model.Parameters(), 0.05), tokens, labels, tokens, labels, epochs: 30, batchSize: 4);
        Assert.Equal(1.0, history[^1].TestAccuracy);                     // four sentences are learned by heart
        Assert.All(Enumerable.Range(0, 8), e => Assert.Equal(0f, cnn.Embedding.Weight.Value[Vocabulary.PadIndex, e]));
        // TopNGrams reports the convolution's own response at the window it names.
        var vocabulary = Vocabulary.Build(Enumerable.Range(0, 40).Select(i => $"w{i % 28}"));
        var top = TextClassification.TopNGrams(cnn, 1, 2, tokens, vocabulary, 3);
        var responses = TextClassification.FilterResponses(cnn, 1, tokens);
        Assert.Equal(responses[top[0].Sentence, 2, top[0].Position], top[0].Activation, 6);
        Assert.True(top[0].Activation >= top[1].Activation && top[1].Activation >= top[2].Activation);
    }
}
