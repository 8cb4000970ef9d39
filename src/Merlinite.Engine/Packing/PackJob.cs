using Merlinite.Engine.Chat;
using Merlinite.Engine.Jobs;
using Merlinite.Engine.Outputs;

namespace Merlinite.Engine.Packing;

/// <summary>A model and its adapters, template and system prompt packed with this merlinite's engine as one executable
/// that chats (`merlinite pack`); a new build of merlinite packs again (its hash is in the fingerprint).</summary>
public sealed class PackJob(PackRequest request, string output) : WholeFileJob
{
    private readonly PackEngine _engine = PackEngine.Current();

    public override OutputFile Output => new(output);
    public override IReadOnlyList<string> Inputs => request.Adapters.Select(a => a.Path).ToList();

    public override Fingerprint Fingerprint() => new Fingerprint("pack").AddFile("model", request.Model)
        .AddFile("lora", request.Adapters.FirstOrDefault()?.Path).Add("engine", _engine.Sha256())
        .Add("system", request.System).Add("template", request.Template.Name())
        .Add("round", request.Source?.Round ?? 0);

    protected override void Write(Action<double, string?> report, CancellationToken ct) =>
        PackWriter.Write(request, output, _engine,
            (done, total) => report(total > 0 ? (double)done / total : 1, null), ct);
}
