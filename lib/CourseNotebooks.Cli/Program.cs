using CourseNotebooks.Cli;

// Entry point of the `course` command (see CourseCommand for the commands and options).
return await CourseCommand.RunAsync(args, Console.Out, Console.Error);
