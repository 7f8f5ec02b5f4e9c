namespace CourseNotebooks.Notebooks.Tests.Hosts;

/// <summary>What the host comparison leaves out: times, and only times (a masked value would hide a host's difference).</summary>
public sealed class HostComparisonTests
{
    private const string Table = """
        Space               Numbers  KnnAccuracyInMap  TsneSeconds  Method
        ------------------------------------------------------------------
        pixels                  784             0.722          1.8  exact
        PCA codes                32             0.731         12.5  fast
        """;

    [Fact]
    public void Mask_HidesATimeColumnOfATable_AndNothingElse()
    {
        string slower = Table.Replace("         1.8", "        25.0").Replace("12.5", "7.40");
        Assert.Equal(HostComparison.Mask(Table), HostComparison.Mask(slower));
        // A changed value in any other column still shows.
        Assert.NotEqual(HostComparison.Mask(Table), HostComparison.Mask(Table.Replace("0.722", "0.723")));
        Assert.NotEqual(HostComparison.Mask(Table), HostComparison.Mask(Table.Replace("784", "785")));
        Assert.Contains("0.731", HostComparison.Mask(Table));
    }

    [Fact]
    public void Mask_HidesTimesWithTheirUnit_InText()
    {
        Assert.Equal(HostComparison.Mask("trained in 1.2 s, 340 images/s"), HostComparison.Mask("trained in 3.4 s, 120 images/s"));
        Assert.NotEqual(HostComparison.Mask("loss 0.52 after 3 epochs"), HostComparison.Mask("loss 0.53 after 3 epochs"));
        Assert.Equal(HostComparison.Mask("Each map took 1.3 to 1.8 s."), HostComparison.Mask("Each map took 5.0 to 25 s."));
        Assert.Equal(HostComparison.Mask("Adam takes 0.2 ms, 0.3 % of a step"), HostComparison.Mask("Adam takes 0.5 ms, 0.9 % of a step"));
        Assert.NotEqual(HostComparison.Mask("accuracy 75.8 % against 73.1 %"), HostComparison.Mask("accuracy 75.9 % against 73.1 %"));
    }
}
