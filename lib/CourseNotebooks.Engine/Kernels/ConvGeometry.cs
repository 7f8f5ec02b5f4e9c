namespace CourseNotebooks.Engine.Kernels;

/// <summary>
/// Hyper-parameters of one grouped 2-D convolution: C input channels, OutC output channels, G groups (each output
/// channel sees C/G input channels), kernel KH x KW, stride, zero padding and dilation per dimension.
/// </summary>
internal readonly record struct ConvGeometry(int C, int OutC, int Groups, int KH, int KW, int SH, int SW, int PH, int PW, int DH, int DW)
{
    /// <summary>Input channels per group.</summary>
    public int Cg => C / Groups;

    /// <summary>Output channels per group.</summary>
    public int OCg => OutC / Groups;

    /// <summary>Rows of the im2col matrix of one group: Cg * KH * KW.</summary>
    public int ColRows => Cg * KH * KW;
}
