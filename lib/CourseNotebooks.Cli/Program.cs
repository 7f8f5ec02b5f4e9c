// Entry point of the `course` command; the commands are wired in by the notebook-host work.
Console.Error.WriteLine("usage: course run [notebooks...]");
return 2;
