using CourseNotebooks.Engine.Optimizers;

namespace CourseNotebooks.Engine.Tests;

public class ScheduleTests
{
    private static Sgd<double> Optimizer(double lr) => new([QuadraticBowl.Parameter(1.0)], lr);

    [Fact]
    public void StepLR_DividesByTenEveryThirtyEpochs_AsTheClosedForm()
    {
        var opt = Optimizer(0.05);
        var schedule = new StepLR(opt, stepSize: 30);
        Assert.Equal(0.05, opt.LearningRate);
        for (int epoch = 1; epoch <= 100; epoch++)
        {
            schedule.Step();
            double expected = epoch < 30 ? 0.05 : epoch < 60 ? 0.005 : epoch < 90 ? 0.0005 : 0.00005;
            Assert.Equal(expected, opt.LearningRate, 1e-15);
            Assert.Equal(epoch, schedule.Epoch);
        }
    }

    [Fact]
    public void StepLR_MatchesPyTorchChainedRule()
    {
        // PyTorch's step(): lr stays unless epoch > 0 and epoch % step_size == 0, then lr *= gamma.
        var opt = Optimizer(0.3);
        var schedule = new StepLR(opt, stepSize: 3, gamma: 0.5);
        double chained = 0.3;
        for (int epoch = 1; epoch <= 20; epoch++)
        {
            schedule.Step();
            if (epoch % 3 == 0) chained *= 0.5;
            Assert.Equal(chained, opt.LearningRate, 1e-15);
        }
    }

    [Fact]
    public void CosineAnnealingLR_HitsBaseHalfwayAndMinimum()
    {
        var opt = Optimizer(0.1);
        var schedule = new CosineAnnealingLR(opt, tMax: 10, etaMin: 0.001);
        Assert.Equal(0.1, schedule.LearningRateAt(0), 1e-15);
        Assert.Equal(0.001 + 0.099 / 2, schedule.LearningRateAt(5), 1e-15);
        Assert.Equal(0.001, schedule.LearningRateAt(10), 1e-15);
        Assert.Equal(0.1, schedule.LearningRateAt(20), 1e-15); // the cosine continues: back up at 2·tMax
    }

    [Fact]
    public void CosineAnnealingLR_MatchesPyTorchRecursiveForm_OverThreePeriods()
    {
        // PyTorch's get_lr (recursive): the rate at epoch e from the rate at e − 1.
        const double baseLr = 0.2, etaMin = 0.01;
        const int tMax = 7;
        var opt = Optimizer(baseLr);
        var schedule = new CosineAnnealingLR(opt, tMax, etaMin);
        double lr = baseLr;
        for (int e = 1; e <= 6 * tMax; e++)
        {
            schedule.Step();
            if ((e - 1 - tMax) % (2 * tMax) == 0)
                lr += (baseLr - etaMin) * (1 - Math.Cos(Math.PI / tMax)) / 2;
            else
                lr = (1 + Math.Cos(Math.PI * e / tMax)) / (1 + Math.Cos(Math.PI * (e - 1) / tMax)) * (lr - etaMin) + etaMin;
            Assert.Equal(lr, opt.LearningRate, 1e-12);
        }
    }

    [Fact]
    public void Schedule_ChangesTheRateTheOptimizerUses()
    {
        var p = QuadraticBowl.Parameter(0.0);
        var opt = new Sgd<double>([p], 1.0);
        var schedule = new StepLR(opt, stepSize: 1, gamma: 0.5);
        double[] expectedSteps = [1.0, 0.5, 0.25];
        double w = 0;
        foreach (double step in expectedSteps)
        {
            p.Grad.Data[0] = -1.0;
            opt.Step();
            schedule.Step();
            w += step;
            Assert.Equal(w, p.Value.Data[0], 1e-15);
        }
    }

    [Fact]
    public void StepLR_NonPositiveStepSize_IsRejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(Optimizer(0.1), stepSize: 0));
        Assert.Contains("step size must be positive, got 0", ex.Message);
    }

    [Fact]
    public void CosineAnnealingLR_NonPositiveTMax_IsRejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(Optimizer(0.1), tMax: -3));
        Assert.Contains("tMax must be positive, got -3", ex.Message);
    }
}
