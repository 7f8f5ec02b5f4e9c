using System.Numerics;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Optimizers;

namespace CourseNotebooks.Course.Optimization;

/// <summary>
/// An optimizer whose update rule is a function written in the notebook (a student's exercise), so that the
/// library's training loop (<c>Training.Fit</c>, the schedules) can train a network with it: on every
/// <see cref="Optimizer{T}.Step"/> the rule is called once per parameter with the parameter's values, its gradient
/// and one state buffer of the same length (zeros before the first step, kept between steps, e.g. a momentum
/// buffer), the step number t (1 on the first step) and the current learning rate. The rule updates the values and
/// the state in place. Introduced in notebook 07-training-on-real-data (the student's momentum SGD trains the
/// network beside the library's <see cref="Sgd{T}"/>).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class StepRuleOptimizer<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Action<T[], T[], T[], int, double> _rule;
    private readonly T[]?[] _state;
    private readonly string _name;

    /// <summary>An optimizer over <paramref name="parameters"/> that applies <paramref name="rule"/>.</summary>
    /// <param name="parameters">The parameters, e.g. <c>model.Parameters()</c>.</param>
    /// <param name="learningRate">The initial learning rate, non-negative.</param>
    /// <param name="rule">One update of one parameter, called as rule(values, gradient, state, step, learningRate):
    /// the parameter's values (flat; changed in place), dL/d(values) (read), the rule's buffer of the same length (zeros
    /// before the first step; changed in place), the step number t (1 on the first step) and the learning rate of
    /// this step (a schedule may change it between epochs).</param>
    /// <param name="name">The name used in messages and legends.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rule"/> is null.</exception>
    public StepRuleOptimizer(IEnumerable<Parameter<T>> parameters, double learningRate, Action<T[], T[], T[], int, double> rule, string name = "StepRule")
        : base(parameters, learningRate)
    {
        ArgumentNullException.ThrowIfNull(rule);
        _rule = rule;
        _name = name;
        _state = new T[]?[Parameters.Count];
    }

    /// <inheritdoc/>
    public override string Name => _name ?? "StepRule";

    /// <inheritdoc/>
    protected override void Update(int index, Parameter<T> parameter)
        => _rule(parameter.Value.Data, parameter.Grad.Data, State(_state, index), StepCount, LearningRate);
}
