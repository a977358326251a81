// The sandbox's command line (serve a fake cluster for `make demo`) is added with the server itself.
Console.Error.WriteLine("guardduty-sandbox: not implemented yet");
return 2;
