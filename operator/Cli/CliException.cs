namespace GuardDutyCoverage.Cli;

/// <summary>
/// An error the user can act on: printed as one line (<c>error: ...</c>) without a stack trace, exit code 2.
/// </summary>
public sealed class CliException(string message, Exception? inner = null) : Exception(message, inner)
{
    public const int ExitCode = 2;
}
