using Merlinite.Cli.Commands;
using Merlinite.Cli.Infrastructure;

namespace Merlinite.Cli;

public static class Program
{
    public static int Main(string[] args) => CliApp.Run(args, RootCommandFactory.Create());
}
