using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;

namespace Merlinite.Engine.Chat;

/// <summary>One prompt in, one completion out, starting from an empty KV cache each time.</summary>
public static class Completion
{
    public static GenerationResult Run(LoadedModel model, string renderedPrompt, SamplingOptions options, CancellationToken ct)
    {
        var generator = new Generator(model);
        generator.Reset();
        return generator.Generate(model.TokenizePrompt(renderedPrompt), options, onText: null, ct);
    }
}
