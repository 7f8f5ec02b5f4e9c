using System.Globalization;

namespace CourseNotebooks.Course.Networks;

/// <summary>
/// Thrown when a training loss becomes NaN or infinite (a learning rate too large, a log of zero, an exploding
/// gradient). Carries where it happened so the message can say which epoch and step to look at.
/// Introduced in notebook 06-alexnet.
/// </summary>
public sealed class NonFiniteLossException : ArithmeticException
{
    /// <summary>Creates the exception for <paramref name="loss"/> at <paramref name="epoch"/>, <paramref name="step"/>.</summary>
    public NonFiniteLossException(double loss, int epoch, int step)
        : base($"Training diverged: the loss is {loss.ToString(CultureInfo.InvariantCulture)} at epoch {epoch}, step {step} (expected a finite number). "
            + "Common causes: a learning rate too large, a log of zero in the loss, or inputs that are not normalized.")
    {
        Loss = loss;
        Epoch = epoch;
        Step = step;
    }

    /// <summary>The offending value (NaN, +∞ or −∞).</summary>
    public double Loss { get; }

    /// <summary>The epoch the loss was computed in.</summary>
    public int Epoch { get; }

    /// <summary>The step (mini-batch) within the epoch.</summary>
    public int Step { get; }
}

/// <summary>
/// Cheap sanity checks for training loops in the notebooks: stop at the first non-finite loss with a message that
/// says where, instead of training on for minutes with NaN weights. Introduced in notebook 06-alexnet.
/// PyTorch: none built in (torch.isfinite(loss) checked by hand, or torch.autograd.detect_anomaly).
/// </summary>
public static class TrainingGuard
{
    /// <summary>Throws <see cref="NonFiniteLossException"/> when <paramref name="loss"/> is NaN or ±∞; returns it otherwise.</summary>
    public static double CheckLoss(double loss, int epoch, int step)
        => double.IsFinite(loss) ? loss : throw new NonFiniteLossException(loss, epoch, step);
}
