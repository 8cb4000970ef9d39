using Merlinite.Llama;

namespace Merlinite.Engine;

/// <summary>Versions a run records, so its outputs can be traced to the code and libraries that made them.</summary>
public static class EngineInfo
{
    public static string MerliniteVersion => typeof(EngineInfo).Assembly.GetName().Version?.ToString() ?? "?";
    public static string LlamaCppVersion => LlamaRuntime.Version;
}
