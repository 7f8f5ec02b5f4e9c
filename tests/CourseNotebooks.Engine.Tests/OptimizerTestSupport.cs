using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// Test-only objectives for the optimizer tests, so they need no layer from the engine: a separable quadratic
/// E(w) = ½ Σ aᵢ (wᵢ − cᵢ)², whose gradient aᵢ (wᵢ − cᵢ) is written into the parameter as Backward would.
/// </summary>
internal sealed class QuadraticBowl
{
    public QuadraticBowl(double[] curvature, double[] centre)
    {
        Curvature = curvature;
        Centre = centre;
    }

    public double[] Curvature { get; }
    public double[] Centre { get; }

    public void WriteGradient(Parameter<double> p)
    {
        for (int i = 0; i < p.Value.Length; i++) p.Grad.Data[i] = Curvature[i] * (p.Value.Data[i] - Centre[i]);
    }

    public void WriteGradient(Parameter<float> p)
    {
        for (int i = 0; i < p.Value.Length; i++) p.Grad.Data[i] = (float)(Curvature[i] * (p.Value.Data[i] - Centre[i]));
    }

    public static Parameter<double> Parameter(params double[] start) => new("w", Tensor.FromArray(start));
}

/// <summary>
/// A test-only fully connected layer y = x Wᵀ + b (weight [Out, In], bias [Out]), so checkpoint and training tests
/// have a module with named parameters without depending on the engine's Linear.
/// </summary>
internal sealed class TestAffine<T> : Module<T> where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
{
    private Tensor<T>? _input;

    public TestAffine(int inFeatures, int outFeatures, int seed)
    {
        var random = new Random(seed);
        Weight = new Parameter<T>("weight", Tensor.Uniform<T>(random, -0.5, 0.5, outFeatures, inFeatures));
        Bias = new Parameter<T>("bias", Tensor.Uniform<T>(random, -0.5, 0.5, outFeatures));
    }

    public Parameter<T> Weight { get; }
    public Parameter<T> Bias { get; }

    protected override IEnumerable<Parameter<T>> OwnParameters() => [Weight, Bias];

    public override Tensor<T> Forward(Tensor<T> input)
    {
        _input = input;
        int n = input.Size(0), inF = Weight.Value.Size(1), outF = Weight.Value.Size(0);
        var y = new Tensor<T>(n, outF);
        for (int s = 0; s < n; s++)
            for (int o = 0; o < outF; o++)
            {
                T sum = Bias.Value.Data[o];
                for (int i = 0; i < inF; i++) sum += input.Data[s * inF + i] * Weight.Value.Data[o * inF + i];
                y.Data[s * outF + o] = sum;
            }
        return y;
    }

    public override Tensor<T> Backward(Tensor<T> outputGradient)
    {
        var x = _input ?? throw new InvalidOperationException("Backward before Forward");
        int n = x.Size(0), inF = Weight.Value.Size(1), outF = Weight.Value.Size(0);
        var dX = x.ZerosLike();
        for (int s = 0; s < n; s++)
            for (int o = 0; o < outF; o++)
            {
                T dy = outputGradient.Data[s * outF + o];
                Bias.Grad.Data[o] += dy;
                for (int i = 0; i < inF; i++)
                {
                    Weight.Grad.Data[o * inF + i] += dy * x.Data[s * inF + i];
                    dX.Data[s * inF + i] += dy * Weight.Value.Data[o * inF + i];
                }
            }
        return dX;
    }

    public override int[] OutputShape(ReadOnlySpan<int> inputShape) => [inputShape[0], Weight.Value.Size(0)];
}
