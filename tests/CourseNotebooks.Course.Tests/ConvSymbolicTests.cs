using CourseNotebooks.Course.Convolution;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;
using static CourseNotebooks.Engine.Tests.ConvTestSupport;

namespace CourseNotebooks.Course.Tests;

public class ConvSymbolicTests
{
    private static readonly ConvDerivation Slides = ConvSymbolic.Derive(5, 5, 3, 3, stride: 2);

    [Fact]
    public void Derive_SlideExample_GivesTheSlideOutputs()
    {
        Assert.Equal((2, 2), (Slides.OutputHeight, Slides.OutputWidth));
        Assert.Equal(36, Slides.Terms.Count);
        Assert.Equal([(1, 1), (2, 2), (3, 3), (4, 6), (5, 7), (6, 8), (7, 11), (8, 12), (9, 13)], Slides.OutputTerms(1));
        Assert.Equal((9, 25), Slides.OutputTerms(4)[^1]);
        for (int k = 1; k <= 4; k++) Assert.Equal(ConvSlideText.OutputLines[k - 1], Slides.OutputLatex(k, shownTerms: 4));
    }

    [Fact]
    public void Derive_SlideExample_GivesTheSlideWeightGradients()
    {
        Assert.Equal([(1, 1), (3, 2), (11, 3), (13, 4)], Slides.WeightGradientTerms(1));
        Assert.Equal([(13, 1), (15, 2), (23, 3), (25, 4)], Slides.WeightGradientTerms(9));
        Assert.Equal(ConvSlideText.WeightGradientLine2, Slides.WeightGradientLatex(2));
        // The whole aligned block, character for character as on the correct slide.
        Assert.Equal(ConvSlideText.WeightGradientBlock, Slides.WeightGradientBlock());
    }

    [Fact]
    public void Derive_InputGradients_CountHowManyWindowsCoverEachPixel()
    {
        // a13 (the centre) is in all four windows; a7 in one; the overlap column a3 in two.
        Assert.Equal([(9, 1), (7, 2), (3, 3), (1, 4)], Slides.InputGradientTerms(13));
        Assert.Equal([(5, 1)], Slides.InputGradientTerms(7));
        Assert.Equal([(3, 1), (1, 2)], Slides.InputGradientTerms(3));
        Assert.Equal(
            @"\frac{\partial L}{\partial a_{13}} = w_9 \frac{\partial L}{\partial z_1} + w_7 \frac{\partial L}{\partial z_2} + w_3 \frac{\partial L}{\partial z_3} + w_1 \frac{\partial L}{\partial z_4}",
            Slides.InputGradientLatex(13));
    }

    [Fact]
    public void Derive_WithPaddingAndStrideOne_DropsTermsInThePadding()
    {
        var d = ConvSymbolic.Derive(3, 3, 3, 3, stride: 1, padding: 1);
        Assert.Equal((3, 3), (d.OutputHeight, d.OutputWidth));
        // z1's window is centred on a1: only w5, w6, w8, w9 see real pixels.
        Assert.Equal([(5, 1), (6, 2), (8, 4), (9, 5)], d.OutputTerms(1));
        Assert.Equal(9, d.InputGradientTerms(5).Count);
        Assert.Equal(@"z_1 = w_5 \times a_1 + w_6 \times a_2 + w_8 \times a_4 + w_9 \times a_5", d.OutputLatex(1));
    }

    [Fact]
    public void Derive_AgreesWithTheLayerGradients()
    {
        // Substitute numbers: each symbolic dL/dw_i and dL/da_j must equal what Conv2d's Backward computes.
        var random = new Random(12);
        var d = ConvSymbolic.Derive(6, 5, 2, 3, stride: 2, padding: 1);
        var conv = new Conv2d<double>(1, 1, (2, 3), stride: (2, 2), padding: (1, 1), bias: false, seed: 3);
        var a = Tensor.Randn<double>(random, 1, 1, 6, 5);
        var z = conv.Forward(a);
        var dz = Tensor.Randn<double>(random, z.Shape.ToArray());
        var da = conv.Backward(dz);
        for (int k = 1; k <= z.Length; k++)
            Assert.Equal(z.Data[k - 1], d.OutputTerms(k).Sum(t => conv.Weight.Value.Data[t.Weight - 1] * a.Data[t.Input - 1]), 12);
        for (int i = 1; i <= 6; i++)
            Assert.Equal(conv.Weight.Grad.Data[i - 1], d.WeightGradientTerms(i).Sum(t => a.Data[t.Input - 1] * dz.Data[t.Output - 1]), 12);
        for (int j = 1; j <= 30; j++)
            Assert.Equal(da.Data[j - 1], d.InputGradientTerms(j).Sum(t => conv.Weight.Value.Data[t.Weight - 1] * dz.Data[t.Output - 1]), 12);
    }

    [Fact]
    public void Compare_CorrectSlideBlock_HasNoErrata()
    {
        var lines = ConvSymbolic.ParseLines(ConvSlideText.WeightGradientBlock);
        Assert.Equal(9, lines.Count);
        Assert.Empty(Slides.Errata(lines));
        Assert.All(ConvSlideText.OutputLines, l => Assert.True(Slides.Compare(ConvSymbolic.Parse(l)).IsCorrect));
    }

    [Fact]
    public void Compare_ErrataSlide_FindsDw1AndDw7To9()
    {
        var errata = Slides.Errata(ConvSymbolic.ParseLines(ConvSlideText.WeightGradientBlockWithErrata));
        Assert.Equal([1, 7, 8, 9], errata.Select(e => e.Line.Index));
        Assert.Equal([new TermMismatch(3, 11, 1)], errata[0].Wrong);
        Assert.Equal([new TermMismatch(2, 13, 3)], errata[1].Wrong);
        Assert.Equal([new TermMismatch(2, 14, 4)], errata[2].Wrong);
        Assert.Equal([new TermMismatch(2, 15, 5)], errata[3].Wrong);
        Assert.Equal("dL/dw1: dz3 multiplies a11, the slide has a1", errata[0].Describe());
    }

    [Fact]
    public void Compare_FirstZ4Line_FindsTheA23Erratum()
    {
        var line = ConvSymbolic.Parse(ConvSlideText.OutputLineWithErratum);
        Assert.Equal(SlideLineKind.Output, line.Kind);
        Assert.True(line.Partial);
        var result = Slides.Compare(line);
        Assert.Equal([new TermMismatch(9, 25, 23)], result.Wrong);
        Assert.Empty(result.Missing);
        Assert.Equal("z4: w9 multiplies a25, the slide has a23", result.Describe());
    }

    [Fact]
    public void Compare_PlainTextLine_ReportsWrongMissingAndExtraTerms()
    {
        var wrong = Slides.Compare(ConvSymbolic.Parse("dL/dw7 = a11 dz1 + a3 dz2 + a21 dz3 + a23 dz4"));
        Assert.Equal([new TermMismatch(2, 13, 3)], wrong.Wrong);

        var structured = new SlideLine(SlideLineKind.WeightGradient, 1, [(1, 1), (3, 2), (11, 3)]);
        var missing = Slides.Compare(structured);
        Assert.Equal([(13, 4)], missing.Missing);
        Assert.Equal("dL/dw1: the term a13 dz4 is missing", missing.Describe());

        var extra = Slides.Compare(ConvSymbolic.Parse("dL/da7 = w5 dz1 + w3 dz2"));
        Assert.Equal([(3, 2)], extra.Extra);
        Assert.True(Slides.Compare(ConvSymbolic.Parse("dL/da13 = w9 dz1 + w7 dz2 + w3 dz3 + w1 dz4")).IsCorrect);
    }

    [Theory]
    [InlineData("dL/dw7 a11 dz1")]
    [InlineData("y1 = w1 a1")]
    [InlineData("dL/dw7 = w11 dz1")]
    public void Parse_MalformedLine_QuotesIt(string line)
    {
        var ex = Assert.Throws<FormatException>(() => ConvSymbolic.Parse(line));
        Assert.Contains(line, ex.Message);
    }

    [Fact]
    public void Derive_IndexOutOfRange_NamesTheRange()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Slides.WeightGradientTerms(10));
        Assert.Contains("weight index must be in 1..9, got 10", ex.Message);
        Assert.Throws<ArgumentException>(() => ConvSymbolic.Derive(2, 5, 3, 3));
    }

    [Fact]
    public void Derive_SlideNumbers_ReproduceTheSlideConvolution()
    {
        // The forward example of the slides, through the symbolic terms: z_k = sum w_i a_j.
        var d = ConvSymbolic.Derive(5, 5, 3, 3);
        var a = Tensor.FromArray(SlideInput).Data;
        var w = Tensor.FromArray(SlideKernel).Data;
        var z = Enumerable.Range(1, 9).Select(k => d.OutputTerms(k).Sum(t => w[t.Weight - 1] * a[t.Input - 1]));
        Assert.Equal(Tensor.FromArray(SlideOutput).Data, z);
    }
}
