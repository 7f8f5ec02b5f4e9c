using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Optimizers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// The optimizers run their update through <c>UpdateLoop</c> (whole vectors, then a zero-padded tail). These tests
/// replay each optimizer's formula element by element in float, written here in plain scalar code in PyTorch's
/// operation order, and ask for the same bits after several steps, on lengths around the vector width.
/// </summary>
public class UpdateLoopTests
{
    public static TheoryData<int> Lengths => [1, 3, 7, 8, 9, 16, 17, 31, 33, 100];

    private static (Parameter<float> P, float[] Theta) Start(int n, int seed)
    {
        var rng = new Random(seed);
        var theta = new float[n];
        for (int i = 0; i < n; i++) theta[i] = (float)(rng.NextDouble() * 2 - 1);
        return (new Parameter<float>("w", new Tensor<float>((float[])theta.Clone(), n)), theta);
    }

    private static void Gradient(Parameter<float> p, float[] g, Random rng)
    {
        for (int i = 0; i < g.Length; i++) g[i] = (float)(rng.NextDouble() * 2 - 1) * (i % 3 == 0 ? 1e-3f : 1f);
        g.CopyTo(p.Grad.Data, 0);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Adam_AmsGrad_WeightDecay_IsBitForBitTheScalarFormula(int n)
    {
        var (p, theta) = Start(n, n);
        var adam = new Adam<float>([p], 0.01, betas: (0.8, 0.95), eps: 1e-6, weightDecay: 0.1, amsgrad: true);
        var (m, v, vMax, g) = (new float[n], new float[n], new float[n], new float[n]);
        var rng = new Random(7);
        for (int t = 1; t <= 5; t++)
        {
            Gradient(p, g, rng);
            adam.Step();
            float stepSize = (float)(0.01 / (1 - Math.Pow(0.8, t))), bias2Sqrt = (float)Math.Sqrt(1 - Math.Pow(0.95, t));
            float b1 = 0.8f, b2 = 0.95f, wd = 0.1f, eps = 1e-6f;
            for (int i = 0; i < n; i++)
            {
                float gi = g[i] + wd * theta[i];
                m[i] = b1 * m[i] + (1f - b1) * gi;
                v[i] = b2 * v[i] + (1f - b2) * gi * gi;
                vMax[i] = MathF.Max(vMax[i], v[i]);
                theta[i] -= stepSize * m[i] / (MathF.Sqrt(vMax[i]) / bias2Sqrt + eps);
            }
        }
        Assert.Equal(theta, p.Value.Data);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AdamW_Maximize_IsBitForBitTheScalarFormula(int n)
    {
        var (p, theta) = Start(n, n + 1);
        var adam = new AdamW<float>([p], 0.02, weightDecay: 0.05, maximize: true);
        var (m, v, g) = (new float[n], new float[n], new float[n]);
        var rng = new Random(8);
        for (int t = 1; t <= 4; t++)
        {
            Gradient(p, g, rng);
            adam.Step();
            float stepSize = (float)(0.02 / (1 - Math.Pow(0.9, t))), bias2Sqrt = (float)Math.Sqrt(1 - Math.Pow(0.999, t));
            float decay = (float)(1 - 0.02 * 0.05);
            for (int i = 0; i < n; i++)
            {
                float gi = -g[i];
                theta[i] *= decay;
                m[i] = 0.9f * m[i] + (1f - 0.9f) * gi;
                v[i] = 0.999f * v[i] + (1f - 0.999f) * gi * gi;
                theta[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) / bias2Sqrt + 1e-8f);
            }
        }
        Assert.Equal(theta, p.Value.Data);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SgdNesterov_IsBitForBitTheScalarFormula(int n)
    {
        var (p, theta) = Start(n, n + 2);
        var sgd = new Sgd<float>([p], 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true);
        var (b, g) = (new float[n], new float[n]);
        var rng = new Random(9);
        for (int t = 1; t <= 4; t++)
        {
            Gradient(p, g, rng);
            sgd.Step();
            for (int i = 0; i < n; i++)
            {
                float gi = g[i] + 0.01f * theta[i];
                b[i] = t == 1 ? gi : 0.9f * b[i] + 1f * gi;
                gi += 0.9f * b[i];
                theta[i] -= 0.1f * gi;
            }
        }
        Assert.Equal(theta, p.Value.Data);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RmsPropCenteredMomentum_IsBitForBitTheScalarFormula(int n)
    {
        var (p, theta) = Start(n, n + 3);
        var rms = new RmsProp<float>([p], 0.01, alpha: 0.9, eps: 1e-6, momentum: 0.5, centered: true);
        var (v, mean, buf, g) = (new float[n], new float[n], new float[n], new float[n]);
        var rng = new Random(10);
        for (int t = 1; t <= 4; t++)
        {
            Gradient(p, g, rng);
            rms.Step();
            for (int i = 0; i < n; i++)
            {
                float gi = g[i];
                v[i] = 0.9f * v[i] + (1f - 0.9f) * gi * gi;
                mean[i] = 0.9f * mean[i] + (1f - 0.9f) * gi;
                float variance = v[i] - mean[i] * mean[i];
                float scaled = gi / (MathF.Sqrt(variance) + 1e-6f);
                buf[i] = 0.5f * buf[i] + scaled;
                theta[i] -= 0.01f * buf[i];
            }
        }
        Assert.Equal(theta, p.Value.Data);
    }
}
