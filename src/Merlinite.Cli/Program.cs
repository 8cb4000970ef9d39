using Merlinite.Cli.Commands;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Packing;

namespace Merlinite.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        PackManifest? packed;
        try { packed = PackedChat.Find(); }
        catch (PackFormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.RuntimeError;
        }
        return packed is not null ? PackedChat.Run(packed, args) : CliApp.Run(args, RootCommandFactory.Create());
    }
}
