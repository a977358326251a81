using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace GuardDutyCoverage.Cli;

/// <summary>Console logging for <c>run</c>: text for people, JSON (one object per line) for log pipelines.</summary>
public static class Logging
{
    public static ILoggerFactory Create(string level, string format) =>
        LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(ParseLevel(level));
            if (format == "json")
            {
                builder.AddJsonConsole(o =>
                {
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
                });
            }
            else
            {
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
                    o.ColorBehavior = LoggerColorBehavior.Disabled;
                });
            }

            // The API server's informer and HTTP plumbing is chatty at Information.
            builder.AddFilter("System.Net.Http", LogLevel.Warning);
        });

    public static LogLevel ParseLevel(string level) => level switch
    {
        "debug" => LogLevel.Debug,
        "info" => LogLevel.Information,
        "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => throw new CliException($"--log-level \"{level}\" is not one of debug, info, warn, error"),
    };
}
