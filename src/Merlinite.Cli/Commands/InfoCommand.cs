using System.CommandLine;
using System.Reflection;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Reproducibility;
using Merlinite.Engine.Training;
using Merlinite.Llama;

namespace Merlinite.Cli.Commands;

public static class InfoCommand
{
    public static Command Create()
    {
        var cmd = new Command("info", "Print merlinite's version, the llama.cpp build it loaded, and the devices found (CPU features, GPUs).");
        cmd.SetAction(_ =>
        {
            var version = typeof(InfoCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
            Console.WriteLine($"merlinite      {version.Split('+')[0]}");
            LlamaRuntime.EnsureInitialized();
            Console.WriteLine($"llama.cpp      release {LlamaRuntime.LlamaCppRelease} (libllama {LlamaRuntime.Version})");
            string? libDir = Environment.GetEnvironmentVariable(LlamaRuntime.LibDirEnvVar);
            Console.WriteLine($"libraries      {LlamaRuntime.LibraryDirectory ?? LlamaRuntime.LinkedName}" +
                              (LlamaRuntime.IsStaticallyLinked && !string.IsNullOrEmpty(libDir)
                                  ? $"; {LlamaRuntime.LibDirEnvVar} ({libDir}) is ignored" : ""));
            Console.WriteLine($"gpu offload    {(LlamaRuntime.SupportsGpuOffload ? "yes" : "no")}");
            Console.WriteLine($"backends       {string.Join(", ", LlamaRuntime.GetBackendNames())}");
            Console.WriteLine("devices");
            foreach (var d in LlamaRuntime.GetDevices())
            {
                string mem = d.MemoryTotal > 0 ? $", {d.MemoryFree / 1073741824.0:F1}/{d.MemoryTotal / 1073741824.0:F1} GiB free" : "";
                Console.WriteLine($"  [{d.Index}] {d.Kind,-5} {d.Name}: {d.Description}{mem}");
            }
            Console.WriteLine($"system         {LlamaRuntime.SystemInfo.Trim()}");
            Console.WriteLine($"trainer        {TrainerSidecar.Describe()}");
            Console.WriteLine($"reproducible   {DescribeReproducibleMode()}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Whether --reproducible can run here: the portable build present, and this CPU able to run it.</summary>
    private static string DescribeReproducibleMode()
    {
        string dir = ReproducibleMode.LibraryDirectory;
        string[] missing = CpuLevel.MissingForX86_64_V3();
        string build = LlamaRuntime.IsStaticallyLinked ? $"the {ReproducibleMode.IsaLevel} build linked in"
            : Directory.Exists(dir)
            ? $"{ReproducibleMode.IsaLevel} build in {dir}"
            : $"no portable build ({dir} is missing)";
        return missing.Length == 0 ? $"{build}; this CPU runs it" : $"{build}; this CPU lacks {string.Join(", ", missing)}";
    }
}
