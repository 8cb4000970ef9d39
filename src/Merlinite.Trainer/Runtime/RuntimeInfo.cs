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
            w.WriteString("libtorch", Devices.ExternalLibTorch ?? "bundled (NuGet libtorch-cpu-linux-x64)");
            w.WriteString("torchsharp", typeof(torch).Assembly.GetName().Version?.ToString());
            w.WriteBoolean("cuda_available", Devices.ExternalLibTorch is not null && torch.cuda.is_available());
            w.WriteNumber("cuda_devices", Devices.ExternalLibTorch is not null ? torch.cuda.device_count() : 0);
            w.WriteString("device", device?.ToString() ?? "none");
            if (error is not null) w.WriteString("error", error);
            w.WriteNumber("cpu_threads", torch.get_num_threads());
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
