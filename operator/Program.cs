using GuardDutyCoverage.Cli;

return await CommandLine.RunAsync(args);
