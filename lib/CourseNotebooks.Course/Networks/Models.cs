using System.Numerics;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;

namespace CourseNotebooks.Course.Networks;

/// <summary>
/// Ready-made architectures of the lecture, built from the library's layers so that summaries, parameter counts
/// and training all run on the real thing.
/// Introduced in notebook 06-alexnet.
/// </summary>
public static class Models
{
    /// <summary>
    /// AlexNet as in Krizhevsky, Sutskever and Hinton (NIPS 2012), for a [N, 3, 227, 227] input:
    /// conv1 96x11x11/4 → ReLU → maxpool 3/2 → conv2 256x5x5 pad 2 (groups 2) → ReLU → maxpool 3/2 →
    /// conv3 384x3x3 pad 1 → ReLU → conv4 384x3x3 pad 1 (groups 2) → ReLU → conv5 256x3x3 pad 1 (groups 2) →
    /// ReLU → maxpool 3/2 → flatten (9,216) → fc6 4096 → ReLU → dropout → fc7 4096 → ReLU → dropout → fc8.
    /// Introduced in notebook 06-alexnet.
    /// </summary>
    /// <remarks>
    /// The two-GPU split of the paper is a grouped convolution (groups: 2) in conv2, conv4 and conv5: each of
    /// their filters sees only the maps of its own GPU. Local response normalisation is left out (it has no
    /// parameters and does not change any count). Setting <paramref name="twoGpuGrouping"/> to false gives the
    /// single-GPU variant (as torchvision's alexnet, apart from its 64/192 filter counts).
    /// </remarks>
    public static Sequential<T> AlexNet<T>(int classes = 1000, bool twoGpuGrouping = true, int? seed = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int g = twoGpuGrouping ? 2 : 1;
        int? Seed(int layer) => seed is null ? null : seed + layer;
        return new Sequential<T>(
            new Conv2d<T>(3, 96, 11, stride: 4, seed: Seed(1)), new ReLU<T>(), new MaxPool2d<T>(3, 2),
            new Conv2d<T>(96, 256, 5, padding: 2, groups: g, seed: Seed(2)), new ReLU<T>(), new MaxPool2d<T>(3, 2),
            new Conv2d<T>(256, 384, 3, padding: 1, seed: Seed(3)), new ReLU<T>(),
            new Conv2d<T>(384, 384, 3, padding: 1, groups: g, seed: Seed(4)), new ReLU<T>(),
            new Conv2d<T>(384, 256, 3, padding: 1, groups: g, seed: Seed(5)), new ReLU<T>(), new MaxPool2d<T>(3, 2),
            new Flatten<T>(),
            new Linear<T>(256 * 6 * 6, 4096, seed: Seed(6)), new ReLU<T>(), new Dropout<T>(0.5, seed: Seed(16)),
            new Linear<T>(4096, 4096, seed: Seed(7)), new ReLU<T>(), new Dropout<T>(0.5, seed: Seed(17)),
            new Linear<T>(4096, classes, seed: Seed(8)));
    }

    /// <summary>
    /// A LeNet-like CNN for [N, 1, 28, 28] images: conv 8x5x5 pad 2 → ReLU → maxpool 2 → conv 16x5x5 pad 2 →
    /// ReLU → maxpool 2 → flatten (784) → linear to <paramref name="classes"/>. The model of notebook 06-alexnet's
    /// last section and of the engine benchmarks.
    /// </summary>
    public static Sequential<T> LeNet<T>(int classes = 10, int? seed = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int? Seed(int layer) => seed is null ? null : seed + layer;
        return new Sequential<T>(
            new Conv2d<T>(1, 8, 5, padding: 2, seed: Seed(1)), new ReLU<T>(), new MaxPool2d<T>(2),
            new Conv2d<T>(8, 16, 5, padding: 2, seed: Seed(2)), new ReLU<T>(), new MaxPool2d<T>(2),
            new Flatten<T>(),
            new Linear<T>(16 * 7 * 7, classes, seed: Seed(3)));
    }

    /// <summary>
    /// The Fashion-MNIST classifier of notebook 07-training-on-real-data and of the benchmark's 91 % run, for
    /// [N, 1, 28, 28] images: conv 16x3x3 pad 1 → ReLU → maxpool 2 → conv 32x3x3 pad 1 → ReLU → maxpool 2 →
    /// flatten (32·7·7 = 1,568) → linear 128 → ReLU → linear to <paramref name="classes"/>. 206,922 parameters for
    /// 10 classes; 1,218,048 multiply-adds per image forward.
    /// </summary>
    /// <remarks>
    /// Chosen by measured training throughput on two cores (images per CPU-second, batch 128, on a shared machine):
    /// about 3,600 for this network against 1,700 for the same widths with 5x5 kernels and 1,500 with twice the
    /// widths (32/64); <see cref="LeNet{T}"/> (8/16 filters, no hidden layer) runs at about 3,900 with far fewer weights. With the
    /// notebook's full-data recipe (momentum SGD, lr 0.05, batch 64, cosine schedule over 6 epochs) it passes 91 %
    /// test accuracy in the fifth epoch; the benchmark's "fashion-mnist 91 %" run measures the time.
    /// </remarks>
    public static Sequential<T> FashionCnn<T>(int classes = 10, int? seed = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int? Seed(int layer) => seed is null ? null : seed + layer;
        return new Sequential<T>(
            new Conv2d<T>(1, 16, 3, padding: 1, seed: Seed(1)), new ReLU<T>(), new MaxPool2d<T>(2),
            new Conv2d<T>(16, 32, 3, padding: 1, seed: Seed(2)), new ReLU<T>(), new MaxPool2d<T>(2),
            new Flatten<T>(),
            new Linear<T>(32 * 7 * 7, 128, seed: Seed(3)), new ReLU<T>(),
            new Linear<T>(128, classes, seed: Seed(4)));
    }

    /// <summary>
    /// A dense (fully connected) autoencoder for flattened images [N, inputs]: encoder
    /// inputs → hidden → code (ReLU between), decoder code → hidden → inputs with a sigmoid output (pixels in [0, 1]).
    /// With a linear code and MSE loss its code spans the same subspace PCA finds. Introduced in notebook
    /// 10-autoencoder-vs-pca (784-256-32-256-784, trained against PCA at the same code size).
    /// </summary>
    /// <returns>The encoder and decoder, and the whole model (encoder then decoder) sharing their layers.</returns>
    public static (Sequential<T> Encoder, Sequential<T> Decoder, Sequential<T> Model) DenseAutoencoder<T>(
        int inputs = 784, int hidden = 256, int code = 32, int? seed = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int? Seed(int layer) => seed is null ? null : seed + layer;
        var encoder = new Sequential<T>(
            new Linear<T>(inputs, hidden, seed: Seed(1)), new ReLU<T>(),
            new Linear<T>(hidden, code, seed: Seed(2)));
        var decoder = new Sequential<T>(
            new Linear<T>(code, hidden, seed: Seed(3)), new ReLU<T>(),
            new Linear<T>(hidden, inputs, seed: Seed(4)), new Sigmoid<T>());
        return (encoder, decoder, new Sequential<T>(encoder, decoder));
    }

    /// <summary>
    /// A convolutional autoencoder for [N, 1, 28, 28] images: two stride-2 convolutions down to [N, 32, 7, 7],
    /// two transposed convolutions ("deconvolution") back up to [N, 1, 28, 28], sigmoid output.
    /// Its code is the whole [32, 7, 7] map (1,568 numbers); notebook 13-convolutional-autoencoder uses the variant with a
    /// small dense code, <see cref="ConvAutoencoder{T}(DecoderUpsampling, int, int?)"/>. Timed by the engine benchmarks.
    /// </summary>
    public static (Sequential<T> Encoder, Sequential<T> Decoder, Sequential<T> Model) ConvAutoencoder<T>(int? seed = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int? Seed(int layer) => seed is null ? null : seed + layer;
        var encoder = new Sequential<T>(
            new Conv2d<T>(1, 16, 3, stride: 2, padding: 1, seed: Seed(1)), new ReLU<T>(),      // 28 -> 14
            new Conv2d<T>(16, 32, 3, stride: 2, padding: 1, seed: Seed(2)), new ReLU<T>());    // 14 -> 7
        var decoder = new Sequential<T>(
            new ConvTranspose2d<T>(32, 16, 3, stride: 2, padding: 1, outputPadding: 1, seed: Seed(3)), new ReLU<T>(),  // 7 -> 14
            new ConvTranspose2d<T>(16, 1, 3, stride: 2, padding: 1, outputPadding: 1, seed: Seed(4)), new Sigmoid<T>()); // 14 -> 28
        return (encoder, decoder, new Sequential<T>(encoder, decoder));
    }

    /// <summary>
    /// A convolutional autoencoder for [N, 1, 28, 28] images with a dense code of <paramref name="code"/> numbers, whose
    /// decoder goes back up the way <paramref name="upsampling"/> says. Encoder (the same for every kind):
    /// conv 8x3x3 pad 1 → ReLU → maxpool 2 (28 → 14) → conv 16x3x3 pad 1 → ReLU → maxpool 2 (14 → 7) → flatten (784) →
    /// linear to the code. Decoder: linear to 784 → ReLU → unflatten [16, 7, 7], then per kind
    /// <list type="bullet">
    /// <item><see cref="DecoderUpsampling.MaxUnpool"/>: unpool with the second pool's locations (7 → 14) → conv 8x3x3
    /// pad 1 → ReLU → unpool with the first pool's locations (14 → 28) → conv 1x3x3 pad 1;</item>
    /// <item><see cref="DecoderUpsampling.Nearest"/>: the same with nearest-neighbour upsampling ×2 ("simply repeat the
    /// values") in place of each unpool;</item>
    /// <item><see cref="DecoderUpsampling.Transposed"/>: transposed conv 8x4x4 stride 2 pad 1 (7 → 14) → ReLU →
    /// transposed conv 1x4x4 stride 2 pad 1 (14 → 28);</item>
    /// </list>
    /// then a sigmoid (pixels in [0, 1]). Introduced in notebook 13-convolutional-autoencoder.
    /// </summary>
    /// <remarks>
    /// With <see cref="DecoderUpsampling.MaxUnpool"/> the decoder also reads the pools' saved locations, which the
    /// encoder computed from the image: information that does not pass through the code (SegNet's design). The
    /// notebook measures what that is worth; its reconstructions are not a like-for-like comparison at the same code
    /// size. The model must then run encoder and decoder on the same batch, one after the other (as Model does).
    /// </remarks>
    /// <returns>The encoder (image → code), the decoder (code → image) and the whole model, sharing their layers.</returns>
    public static (Sequential<T> Encoder, Sequential<T> Decoder, Sequential<T> Model) ConvAutoencoder<T>(
        DecoderUpsampling upsampling, int code = 32, int? seed = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ShapeCheck.Positive("Models.ConvAutoencoder", "code", code);
        int? Seed(int layer) => seed is null ? null : seed + layer;
        var pool1 = new MaxPool2d<T>(2);
        var pool2 = new MaxPool2d<T>(2);
        var encoder = new Sequential<T>(
            new Conv2d<T>(1, 8, 3, padding: 1, seed: Seed(1)), new ReLU<T>(), pool1,                 // 28 -> 14
            new Conv2d<T>(8, 16, 3, padding: 1, seed: Seed(2)), new ReLU<T>(), pool2,                // 14 -> 7
            new Flatten<T>(), new Linear<T>(16 * 7 * 7, code, seed: Seed(3)));
        var head = new Module<T>[] { new Linear<T>(code, 16 * 7 * 7, seed: Seed(4)), new ReLU<T>(), new Unflatten<T>(16, 7, 7) };
        Module<T>[] up = upsampling switch
        {
            DecoderUpsampling.MaxUnpool =>
            [
                new MaxUnpool2d<T>(pool2), new Conv2d<T>(16, 8, 3, padding: 1, seed: Seed(5)), new ReLU<T>(),
                new MaxUnpool2d<T>(pool1), new Conv2d<T>(8, 1, 3, padding: 1, seed: Seed(6)),
            ],
            DecoderUpsampling.Nearest =>
            [
                new Upsample<T>(2.0), new Conv2d<T>(16, 8, 3, padding: 1, seed: Seed(5)), new ReLU<T>(),
                new Upsample<T>(2.0), new Conv2d<T>(8, 1, 3, padding: 1, seed: Seed(6)),
            ],
            DecoderUpsampling.Transposed =>
            [
                new ConvTranspose2d<T>(16, 8, 4, stride: 2, padding: 1, seed: Seed(5)), new ReLU<T>(),
                new ConvTranspose2d<T>(8, 1, 4, stride: 2, padding: 1, seed: Seed(6)),
            ],
            _ => throw new ArgumentOutOfRangeException(nameof(upsampling), upsampling, $"Models.ConvAutoencoder: unknown upsampling {upsampling}."),
        };
        var decoder = new Sequential<T>([.. head, .. up, new Sigmoid<T>()]);
        return (encoder, decoder, new Sequential<T>(encoder, decoder));
    }
}

/// <summary>How the decoder of <see cref="Models.ConvAutoencoder{T}(DecoderUpsampling, int, int?)"/> goes from 7x7 back
/// to 28x28 (the lecture's "CNN - Unpooling" and "Deconvolution" slides). Introduced in notebook 13-convolutional-autoencoder.</summary>
public enum DecoderUpsampling
{
    /// <summary>Max-unpooling with the encoder's saved locations (torch.nn.MaxUnpool2d), each followed by a 3x3 convolution.</summary>
    MaxUnpool,

    /// <summary>Nearest-neighbour upsampling, "simply repeat the values" (torch.nn.Upsample(scale_factor=2)), each followed by a 3x3 convolution.</summary>
    Nearest,

    /// <summary>Transposed convolutions with stride 2 ("deconvolution", torch.nn.ConvTranspose2d).</summary>
    Transposed,
}
