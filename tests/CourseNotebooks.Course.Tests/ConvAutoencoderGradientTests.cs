using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Tests;

/// <summary>
/// The whole convolutional autoencoders of notebook 13, each decoder, checked numerically in double precision: the
/// image gradient and every parameter's gradient against centred differences.
/// </summary>
/// <remarks>
/// Why the error is measured against the largest gradient entry: the loss (Σ y·G over 784 outputs) is about 20, so a
/// centred difference carries rounding noise of about 1e-7 whatever the entry, and entries of 1e-7 (pixels the code
/// barely sees) would fail a per-entry relative test at step 1e-6 although the analytic value is right (at step 1e-4
/// such an entry agrees to 4 digits). The floor, 1e-3 of the largest entry, keeps those out and keeps every entry
/// that matters in. Measured with these seeds: all entries agree to 1e-3 at step 1e-5 but one decoder bias, whose
/// channel has a pre-activation within 1e-5 of a ReLU kink; at step 1e-7 it agrees.
/// </remarks>
public class ConvAutoencoderGradientTests
{
    [Theory]
    [InlineData(DecoderUpsampling.MaxUnpool)]
    [InlineData(DecoderUpsampling.Nearest)]
    [InlineData(DecoderUpsampling.Transposed)]
    public void WholeModel_GradientsMatchCentredDifferences(DecoderUpsampling upsampling)
    {
        var (_, _, model) = Models.ConvAutoencoder<double>(upsampling, code: 8, seed: 3);
        var x = Tensor.Uniform<double>(new Random(1), 0, 1, 1, 1, 28, 28);
        var upstream = Tensor.Randn<double>(new Random(2), model.OutputShape(x.Shape));
        model.ZeroGrad();
        model.Forward(x);
        var dX = model.Backward(upstream).Clone();

        double Loss()
        {
            var y = model.Forward(x);
            double s = 0;
            for (int i = 0; i < y.Length; i++) s += y.Data[i] * upstream.Data[i];
            return s;
        }

        AssertMatches("image", x.Data, dX.Data, Loss);
        foreach (var (name, p) in model.NamedParameters())
            AssertMatches(name, p.Value.Data, p.Grad.Data.ToArray(), Loss);
    }

    private static void AssertMatches(string what, double[] point, double[] analytic, Func<double> loss)
    {
        double floor = 1e-3 * analytic.Max(Math.Abs);
        // Large tensors: every 7th entry (a prime stride, so all positions in a window and all channels are visited).
        int stride = point.Length > 2000 ? 7 : 1;
        for (int i = 0; i < point.Length; i += stride)
        {
            double Error(double step)
            {
                double saved = point[i];
                point[i] = saved + step;
                double plus = loss();
                point[i] = saved - step;
                double minus = loss();
                point[i] = saved;
                double numeric = (plus - minus) / (2 * step);
                return Math.Abs(analytic[i] - numeric) / Math.Max(Math.Abs(analytic[i]) + Math.Abs(numeric), floor);
            }
            // ReLU and max pooling have kinks: a bias moves a whole channel's pre-activations, and one of them within
            // 1e-5 of zero bends the difference quotient. A 100x smaller step avoids that kink (its rounding noise,
            // about 4e-8 here, needs the looser 1e-2); a wrong gradient fails both.
            double error = Error(1e-5);
            if (error >= 1e-3) error = Math.Min(error * 10, Error(1e-7)) / 10;
            Assert.True(error < 1e-3, $"{what}[{i}]: analytic {analytic[i]:E6}, relative error {error * 10:E2} at step 1e-7");
        }
    }
}
