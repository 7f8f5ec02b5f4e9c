using CourseNotebooks.Engine.Optimizers;
using static CourseNotebooks.Engine.Tests.LayerTestKit;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// The optimizers run their update through <c>UpdateLoop</c> (whole vectors, then a zero-padded tail); their references
/// (Reference/SgdReference.cs, RmsPropReference.cs, AdamReference.cs) run the algorithm box element by element. The
/// two must give the same bits after several steps, on lengths around the vector width and with every option that
/// changes the arithmetic.
/// </summary>
public class UpdateLoopTests
{
    public static TheoryData<int> Lengths => [1, 3, 7, 8, 9, 16, 17, 31, 33, 100];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Adam_AmsGrad_WeightDecay_IsBitForBitItsReference(int n)
        => AssertStepMatchesReference(p => new Adam<float>([p], 0.01, betas: (0.8, 0.95), eps: 1e-6, weightDecay: 0.1, amsgrad: true), n, steps: 5, seed: n);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void AdamW_Maximize_IsBitForBitItsReference(int n)
        => AssertStepMatchesReference(p => new AdamW<float>([p], 0.02, weightDecay: 0.05, maximize: true), n, steps: 4, seed: n + 1);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SgdNesterov_IsBitForBitItsReference(int n)
        => AssertStepMatchesReference(p => new Sgd<float>([p], 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true), n, steps: 4, seed: n + 2);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void SgdDampeningMaximize_IsBitForBitItsReference(int n)
        => AssertStepMatchesReference(p => new Sgd<float>([p], 0.05, momentum: 0.8, dampening: 0.3, maximize: true), n, steps: 4, seed: n + 3);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RmsPropCenteredMomentum_IsBitForBitItsReference(int n)
        => AssertStepMatchesReference(p => new RmsProp<float>([p], 0.01, alpha: 0.9, eps: 1e-6, momentum: 0.5, centered: true), n, steps: 4, seed: n + 4);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void RmsPropWeightDecay_IsBitForBitItsReference(int n)
        => AssertStepMatchesReference(p => new RmsProp<float>([p], 0.01, weightDecay: 0.1), n, steps: 4, seed: n + 5);
}
