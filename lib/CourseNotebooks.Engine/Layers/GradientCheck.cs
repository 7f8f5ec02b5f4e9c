using System.Numerics;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Engine.Layers;

/// <summary>
/// Numerical gradient checking by centred differences. The scalar checked is L = sum(Forward(x) * G) for a fixed
/// random upstream gradient G, so dL/d(output) = G and one Backward(G) gives the analytic gradients of the input
/// and of every parameter. Each is compared with (L(v + h) - L(v - h)) / 2h element by element.
/// Run it in double precision (<c>Module&lt;double&gt;</c>): in float32 the differences lose about half
/// the digits. Introduced in notebook 03-backprop-conv. cs231n: gradient_check.py.
/// </summary>
public static class GradientCheck
{
    /// <summary>The outcome: the largest relative error over the input and over each parameter. Introduced in notebook 03-backprop-conv.</summary>
    /// <param name="InputError">max |analytic - numeric| / max(|analytic| + |numeric|, floor) over dL/dx.</param>
    /// <param name="ParameterErrors">The same, per parameter name.</param>
    public sealed record Result(double InputError, IReadOnlyDictionary<string, double> ParameterErrors)
    {
        /// <summary>The largest of all errors.</summary>
        public double MaxError => ParameterErrors.Values.Append(InputError).Max();
    }

    /// <summary>
    /// Checks dL/dx and every dL/dθ of <paramref name="module"/> at <paramref name="input"/>.
    /// </summary>
    /// <param name="module">The module (its parameters are perturbed and restored).</param>
    /// <param name="input">The point x; not modified on return.</param>
    /// <param name="random">Source of the upstream gradient G (standard normal).</param>
    /// <param name="step">h in the centred difference.</param>
    public static Result Check<T>(Module<T> module, Tensor<T> input, Random random, double step = 1e-6)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(input);
        var output = module.Forward(input);
        var upstream = Tensor.Randn<T>(random, output.Shape.ToArray());
        module.ZeroGrad();
        // Forward again right before Backward: layers with state (Dropout's mask) must see the same call.
        module.Forward(input);
        var dInput = module.Backward(upstream);
        var analytic = module.NamedParameters().ToDictionary(np => np.Name, np => np.Parameter.Grad.Clone());

        double Loss()
        {
            var y = module.Forward(input);
            double s = 0;
            for (int i = 0; i < y.Length; i++) s += double.CreateTruncating(y.Data[i] * upstream.Data[i]);
            return s;
        }

        double inputError = Compare(input.Data, dInput.Data, Loss, step);
        var errors = new Dictionary<string, double>();
        foreach (var (name, p) in module.NamedParameters())
            errors[name] = Compare(p.Value.Data, analytic[name].Data, Loss, step);
        return new Result(inputError, errors);
    }

    /// <summary>
    /// Largest relative error between <paramref name="analytic"/> and the centred difference of
    /// <paramref name="loss"/> with respect to each element of <paramref name="point"/>.
    /// </summary>
    public static double Compare<T>(T[] point, T[] analytic, Func<double> loss, double step = 1e-6)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (point.Length != analytic.Length)
            throw new ArgumentException($"GradientCheck: point has {point.Length} elements, analytic gradient {analytic.Length}.");
        T h = T.CreateTruncating(step);
        double worst = 0;
        for (int i = 0; i < point.Length; i++)
        {
            T saved = point[i];
            point[i] = saved + h;
            double plus = loss();
            point[i] = saved - h;
            double minus = loss();
            point[i] = saved;
            double numeric = (plus - minus) / (2 * step);
            double a = double.CreateTruncating(analytic[i]);
            // The floor keeps gradients that are exactly zero on both sides from dividing 0 by 0.
            double error = Math.Abs(a - numeric) / Math.Max(Math.Abs(a) + Math.Abs(numeric), 1e-8);
            worst = Math.Max(worst, error);
        }
        return worst;
    }
}
