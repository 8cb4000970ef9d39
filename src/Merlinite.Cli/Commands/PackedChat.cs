using System.Runtime.CompilerServices;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Packing;

namespace Merlinite.Cli.Commands;

/// <summary>
/// How a chat binary (<c>merlinite pack</c>) starts: with a manifest at its end, the executable is the chat and not the
/// tool. <c>./FILE [chat flags]</c> is <c>merlinite chat</c> on the packed model, adapters and settings,
/// <c>./FILE serve [flags]</c> is <c>merlinite serve</c>, <c>./FILE info</c> tells what is inside. Flags the user
/// gives win over the packed settings.
/// </summary>
public static class PackedChat
{
    /// <summary>The manifest of the running executable, or null for the plain merlinite.</summary>
    public static PackManifest? Find()
    {
        if (RuntimeFeature.IsDynamicCodeSupported || Environment.ProcessPath is not { } exe) return null;
        return PackLayout.ReadManifest(exe);
    }

    public static int Run(PackManifest manifest, string[] args)
    {
        string exe = Environment.ProcessPath!;
        string self = Path.GetFileName(exe);
        string first = args.Length > 0 ? args[0] : "";
        if (first is "info") return Info(manifest, exe);
        if (first is "help" or "--help" or "-h" or "-?")
        {
            Console.WriteLine(Usage(manifest, self));
            return ExitCodes.Ok;
        }
        if (first is "--help-flags") return CliApp.Run(["chat", "--help"], RootCommandFactory.Create());
        bool serve = first == "serve";
        string[] rest = serve ? args[1..] : args;
        try
        {
            var files = Unpack(manifest, exe);
            var line = new List<string> { serve ? "serve" : "chat", "--model", files.Model };
            foreach (var (path, part) in files.Adapters.Zip(manifest.Adapters))
                line.AddRange(["--lora", part.Scale == 1 ? path : FormattableString.Invariant($"{path}:{part.Scale}")]);
            if (manifest.System is not null && !Given(rest, "--system")) line.AddRange(["--system", manifest.System]);
            if (!Given(rest, "--template")) line.AddRange(["--template", manifest.Template]);
            line.AddRange(rest);
            return CliApp.Run([.. line], RootCommandFactory.Create());
        }
        catch (Exception e) when (e is PackFormatException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.RuntimeError;
        }
    }

    private static bool Given(string[] args, string flag) =>
        args.Any(a => a == flag || a.StartsWith(flag + "=", StringComparison.Ordinal));

    /// <summary>The first start copies where no reflink is possible: it says where the model goes, before the
    /// wait.</summary>
    private static PackUnpacker.Unpacked Unpack(PackManifest manifest, string exe) =>
        PackUnpacker.Unpack(exe, manifest, notice => Console.Error.WriteLine($"note: {notice}"));

    private static int Info(PackManifest m, string exe)
    {
        static string Mb(long bytes) => $"{bytes / 1e6:F1} MB";
        static string Short(string sha) => sha[..12];
        Console.WriteLine($"{m.Name}: a chat binary made by merlinite pack ({Mb(new FileInfo(exe).Length)})");
        Console.WriteLine($"model      {m.Model.File} ({Mb(m.Model.Length)}, sha256 {Short(m.Model.Sha256)}…)");
        foreach (string line in m.ModelSummary.Split('\n'))
            Console.WriteLine($"           {line.Trim()}");
        foreach (var a in m.Adapters)
            Console.WriteLine(FormattableString.Invariant(
                $"adapter    {a.File} × {a.Scale} ({Mb(a.Length)}, sha256 {Short(a.Sha256)}…)"));
        if (m.Adapters.Count == 0) Console.WriteLine("adapters   none");
        Console.WriteLine($"template   {m.Template}");
        string system = m.System switch { null => "the template's own", "" => "none", _ => $"\"{m.System}\"" };
        Console.WriteLine($"system     {system}");
        Console.WriteLine($"engine     {m.Engine}; packed by merlinite {m.Merlinite}");
        if (m.Source is { } s)
            Console.WriteLine($"source     recipe {s.Recipe}, run {s.Run}: round {s.Round}'s policy" +
                              (s.Why is null ? "" : $" ({s.Why})"));
        string dir = PackUnpacker.FolderOf(m.Model);
        string unpacked = Directory.Exists(dir) ? dir : $"not yet (at the first start, into {PackUnpacker.Folder()})";
        Console.WriteLine($"unpacked   {unpacked}");
        return ExitCodes.Ok;
    }

    private static string Usage(PackManifest m, string self) => $"""
        {m.Name}: a chat with {m.Model.File}{(m.Adapters.Count > 0 ? $" and {m.Adapters.Count} adapter(s)" : "")},
        made by merlinite pack.

        Usage:
          ./{self}                      the chat (a line editor on a terminal; /help inside lists its commands)
          ./{self} -p "MESSAGE"         answer once and exit (also: echo MESSAGE | ./{self})
          ./{self} serve [--port N]     the OpenAI-compatible server and its chat page (http://127.0.0.1:8080/)
          ./{self} info                 what is inside: model, adapters, settings, where it came from

        Every flag of `merlinite chat` and `merlinite serve` works here (--temp, --seed, --max-tokens, --ctx, -t,
        --system, ...): ./{self} --help-flags lists them.
        """;
}
