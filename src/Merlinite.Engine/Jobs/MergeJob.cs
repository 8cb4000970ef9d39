using Merlinite.Engine.Outputs;
using Merlinite.Gguf.Lora;

namespace Merlinite.Engine.Jobs;

/// <summary>A model with an adapter merged into its weights, as one GGUF (no adapter: the model copied).</summary>
public sealed class MergeJob(string model, string? adapter, string output) : WholeFileJob
{
    public override OutputFile Output => new(output);
    public override IReadOnlyList<string> Inputs => adapter is null ? [] : [adapter];

    public override Fingerprint Fingerprint() =>
        new Fingerprint("merge").AddFile("model", model).AddFile("lora", adapter);

    protected override void Write(Action<double, string?> report, CancellationToken ct)
    {
        if (adapter is not null)
        {
            LoraMerger.Merge(model, [(adapter, 1.0f)], output, f => report(f, null));
            return;
        }
        var partial = Output.PartialPath;
        File.Copy(model, partial, overwrite: true);
        File.Move(partial, output, overwrite: true);
    }
}
