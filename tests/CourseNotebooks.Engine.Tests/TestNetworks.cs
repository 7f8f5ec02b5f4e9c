using System.Numerics;
using CourseNotebooks.Engine.Layers;

namespace CourseNotebooks.Engine.Tests;

/// <summary>
/// Networks the engine tests train, built from the engine's layers alone so these tests need no course code.
/// </summary>
internal static class TestNetworks
{
    /// <summary>
    /// The course's LeNet (the course library's Models.LeNet, layer for layer and seed for seed): conv 8x5x5 pad 2,
    /// ReLU, max pool 2, conv 16x5x5 pad 2, ReLU, max pool 2, flatten, linear 784 to 10, for [N, 1, 28, 28] images.
    /// </summary>
    public static Sequential<T> LeNet<T>(int seed) where T : unmanaged, IFloatingPointIeee754<T> =>
        new(new Conv2d<T>(1, 8, 5, padding: 2, seed: seed + 1), new ReLU<T>(), new MaxPool2d<T>(2),
            new Conv2d<T>(8, 16, 5, padding: 2, seed: seed + 2), new ReLU<T>(), new MaxPool2d<T>(2),
            new Flatten<T>(),
            new Linear<T>(16 * 7 * 7, 10, seed: seed + 3));
}
