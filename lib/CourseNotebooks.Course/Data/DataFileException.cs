namespace CourseNotebooks.Course.Data;

/// <summary>
/// A data file is missing or is not what it should be (bad magic number, truncated, wrong counts, images and
/// labels that disagree). The message names the file, the problem, and what to run to get a good copy.
/// Introduced in notebook 07-training-on-real-data.
/// </summary>
public sealed class DataFileException : IOException
{
    /// <summary>The file that is missing or bad (full path).</summary>
    public string FilePath { get; }

    /// <summary>What to do about it, e.g. "run environment/fetch-data".</summary>
    public string Remedy { get; }

    /// <summary>Creates the exception; the message is "{path}: {problem}. To get it: {remedy}.".</summary>
    public DataFileException(string filePath, string problem, string remedy, Exception? inner = null)
        : base($"{filePath}: {problem}. To get a good copy: {remedy}.", inner)
    {
        FilePath = filePath;
        Remedy = remedy;
    }
}
