using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Merlinite.Trainer.Runtime;

/// <summary>What `trainer --info` prints (and `merlinite info` shows): the libtorch in use and the devices it sees.</summary>
public static class RuntimeInfo
{
    public static string Json(string deviceSpec)
    {
        string? error = null;
        Device? device = null;
        try { device = Devices.Resolve(deviceSpec); }
        catch (TrainerException e) { error = e.Message; }
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            bool loaded = Devices.BundlesLibTorch || Devices.ExternalLibTorch is not null;
            w.WriteString("libtorch", Devices.BundlesLibTorch ? "bundled (NuGet libtorch-cpu-linux-x64, CPU only)" : Devices.ExternalLibTorch ?? "none found");
            w.WriteString("torchsharp", typeof(torch).Assembly.GetName().Version?.ToString());
            bool cuda = Devices.ExternalLibTorch is not null && torch.cuda.is_available();
            w.WriteBoolean("cuda_available", cuda);
            w.WriteNumber("cuda_devices", cuda ? torch.cuda.device_count() : 0);
            w.WriteString("device", device?.ToString() ?? "none");
            if (error is not null) w.WriteString("error", error);
            if (loaded) w.WriteNumber("cpu_threads", torch.get_num_threads());
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
