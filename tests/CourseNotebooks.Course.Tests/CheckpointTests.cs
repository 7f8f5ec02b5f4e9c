using CourseNotebooks.Course.Networks;
using CourseNotebooks.Engine.Layers;
using CourseNotebooks.Engine.Tensors;
using CourseNotebooks.Engine.Tests;

namespace CourseNotebooks.Course.Tests;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cn-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    private static Sequential<T> Model<T>(int seed, params int[] widths) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var layers = new Module<T>[widths.Length - 1];
        for (int i = 0; i < layers.Length; i++) layers[i] = new TestAffine<T>(widths[i], widths[i + 1], seed + i);
        return new Sequential<T>(layers);
    }

    private static T[][] Snapshot<T>(Module<T> m) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        => m.Parameters().Select(p => (T[])p.Value.Data.Clone()).ToArray();

    /// <summary>A module whose parameter listing fails after the first parameter: an exception in the middle of a save.</summary>
    private sealed class FailingModule : Module<double>
    {
        private readonly Parameter<double> _weight = new("weight", Tensor.Full(7.0, 3, 3));
        protected override IEnumerable<Parameter<double>> OwnParameters()
        {
            yield return _weight;
            throw new InvalidOperationException("simulated failure while saving");
        }
        public override Tensor<double> Forward(Tensor<double> input) => input;
        public override Tensor<double> Backward(Tensor<double> outputGradient) => outputGradient;
        public override int[] OutputShape(ReadOnlySpan<int> inputShape) => inputShape.ToArray();
    }

    [Fact]
    public void Checkpoint_RoundTrip_RestoresEveryParameterExactly_Float()
    {
        var source = Model<float>(1, 3, 4, 2);
        var target = Model<float>(50, 3, 4, 2);
        string path = PathOf("model.ckpt");
        Checkpoint.Save(source, path);
        Assert.NotEqual(Snapshot(source)[0], Snapshot(target)[0]);
        Checkpoint.Load(target, path);
        Assert.Equal(Snapshot(source), Snapshot(target));
    }

    [Fact]
    public void Checkpoint_RoundTrip_RestoresEveryParameterExactly_Double()
    {
        var source = Model<double>(2, 5, 3);
        source.Parameters().First().Value.Data[0] = Math.PI;
        var target = Model<double>(60, 5, 3);
        string path = PathOf("model.ckpt");
        Checkpoint.Save(source, path);
        Checkpoint.Load(target, path);
        Assert.Equal(Snapshot(source), Snapshot(target));
        Assert.Equal(Math.PI, target.Parameters().First().Value.Data[0]);
    }

    [Fact]
    public void Checkpoint_SavingAgain_ReplacesTheFileAndLeavesNoTemporaryFiles()
    {
        string path = PathOf("model.ckpt");
        Checkpoint.Save(Model<double>(1, 3, 2), path);
        var newer = Model<double>(2, 3, 2);
        Checkpoint.Save(newer, path);
        var target = Model<double>(3, 3, 2);
        Checkpoint.Load(target, path);
        Assert.Equal(Snapshot(newer), Snapshot(target));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public void Checkpoint_ShapeMismatch_NamesParameterExpectedAndActualShape_AndLeavesModelUnchanged()
    {
        string path = PathOf("model.ckpt");
        Checkpoint.Save(Model<float>(1, 3, 4, 2), path);
        var other = Model<float>(9, 3, 5, 2);
        var before = Snapshot(other);
        var ex = Assert.Throws<ArgumentException>(() => Checkpoint.Load(other, path));
        Assert.Contains("parameter '0.weight': expected shape [5, 3] (model), got [4, 3] (file)", ex.Message);
        Assert.Contains("checkpoint for a different architecture", ex.Message);
        Assert.Equal(before, Snapshot(other));
    }

    [Fact]
    public void Checkpoint_ModelWithMoreLayers_NamesTheMissingParameter()
    {
        string path = PathOf("model.ckpt");
        Checkpoint.Save(Model<float>(1, 3, 4, 2), path);
        var ex = Assert.Throws<ArgumentException>(() => Checkpoint.Load(Model<float>(1, 3, 4, 2, 2), path));
        Assert.Contains("parameter '2.weight' (shape [2, 2]) is missing from the file", ex.Message);
        Assert.Contains("different architecture", ex.Message);
    }

    [Fact]
    public void Checkpoint_ModelWithFewerLayers_NamesTheExtraParameter()
    {
        string path = PathOf("model.ckpt");
        Checkpoint.Save(Model<float>(1, 3, 4, 2), path);
        var ex = Assert.Throws<ArgumentException>(() => Checkpoint.Load(Model<float>(1, 3, 4), path));
        Assert.Contains("the file has parameter '1.weight' (shape [2, 4]) that the model does not have", ex.Message);
    }

    [Fact]
    public void Checkpoint_ElementTypeMismatch_NamesBothTypes()
    {
        string path = PathOf("model.ckpt");
        Checkpoint.Save(Model<float>(1, 3, 2), path);
        var ex = Assert.Throws<ArgumentException>(() => Checkpoint.Load(Model<double>(1, 3, 2), path));
        Assert.Contains("expected float64 (the model's), got float32 (the file's)", ex.Message);
    }

    [Fact]
    public void Checkpoint_TruncatedAtAnyLength_IsReportedAndModelUnchanged()
    {
        string path = PathOf("model.ckpt");
        Checkpoint.Save(Model<double>(1, 2, 3), path);
        byte[] full = File.ReadAllBytes(path);
        var target = Model<double>(5, 2, 3);
        var before = Snapshot(target);
        string cut = PathOf("cut.ckpt");
        for (int length = 0; length < full.Length; length++)
        {
            File.WriteAllBytes(cut, full[..length]);
            var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(target, cut));
            Assert.True(ex.Message.Contains("truncated") || ex.Message.Contains("not a checkpoint file"), $"length {length}: {ex.Message}");
        }
        Assert.Equal(before, Snapshot(target));
    }

    [Fact]
    public void Checkpoint_DamagedByte_FailsTheChecksum()
    {
        string path = PathOf("model.ckpt");
        Checkpoint.Save(Model<double>(1, 2, 3), path);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(Model<double>(1, 2, 3), path));
        Assert.Contains("truncated or damaged", ex.Message);
        Assert.Contains("checksum", ex.Message);
    }

    [Fact]
    public void Checkpoint_WrongMagic_SaysItIsNotACheckpoint()
    {
        string path = PathOf("notes.txt");
        File.WriteAllText(path, "hello, this is text");
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(Model<double>(1, 2, 3), path));
        Assert.Contains("not a checkpoint file: expected the magic bytes 'CNCK', got bytes 68656C6C", ex.Message);
    }

    [Fact]
    public void Checkpoint_NewerVersion_IsRejectedNamingBothVersions()
    {
        string path = PathOf("model.ckpt");
        Checkpoint.Save(Model<double>(1, 2, 3), path);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[4] = 2;
        File.WriteAllBytes(path, bytes);
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(Model<double>(1, 2, 3), path));
        Assert.Contains("format version 2 is not supported: expected version 1", ex.Message);
    }

    [Fact]
    public void Checkpoint_FailureDuringSave_LeavesThePreviousFileIntactAndNoTemporaryFile()
    {
        string path = PathOf("model.ckpt");
        var good = new Sequential<double>(new TestAffine<double>(3, 3, 1));
        Checkpoint.Save(good, path);
        byte[] before = File.ReadAllBytes(path);
        var ex = Assert.Throws<InvalidOperationException>(() => Checkpoint.Save(new Sequential<double>(new FailingModule()), path));
        Assert.Equal("simulated failure while saving", ex.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_folder));
        var restored = new Sequential<double>(new TestAffine<double>(3, 3, 99));
        Checkpoint.Load(restored, path);
        Assert.Equal(Snapshot(good), Snapshot(restored));
    }

    [Fact]
    public void Checkpoint_SaveIntoMissingFolder_ThrowsAndCreatesNothing()
    {
        string path = Path.Combine(_folder, "no-such-folder", "model.ckpt");
        Assert.Throws<DirectoryNotFoundException>(() => Checkpoint.Save(Model<float>(1, 2, 2), path));
        Assert.Empty(Directory.GetFileSystemEntries(_folder));
    }
}
