using Merlinite.Engine.Outputs;
using Merlinite.Engine.Settings;

namespace Merlinite.Engine.Generation;

/// <summary>
/// Sampler settings, the same for chat, generate, sample and a recipe's sampling section. The defaults are llama.cpp's
/// (common_params_sampling), so a command draws as llama-cli does unless told otherwise; a recipe that wants the
/// policy's whole distribution (rejection sampling) says so: temperature 1, top_k 0, top_p 1, min_p 0.
/// Temperature 0 means greedy decoding.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>Tokens the repeat penalty looks back on (llama.cpp's default; not a setting of its own).</summary>
    public const int RepeatLastN = 64;

    public float Temperature { get; init; } = 0.8f;
    public int TopK { get; init; } = 40;
    public float TopP { get; init; } = 0.95f;
    public float MinP { get; init; } = 0.05f;
    public float RepeatPenalty { get; init; } = 1.0f;
    public uint Seed { get; init; } = 42;
    public int MaxTokens { get; init; } = 256;

    public IEnumerable<SettingProblem?> Problems()
    {
        yield return Require.AtLeast("temperature", Temperature, 0);
        yield return Require.AtLeast("top_k", TopK, 0);
        yield return Require.InRange("top_p", TopP, 0, 1, minInclusive: false, maxInclusive: true);
        yield return Require.InRange("min_p", MinP, 0, 1, minInclusive: true, maxInclusive: false);
        yield return Require.Above("repeat_penalty", RepeatPenalty, 0);
        yield return Seed == uint.MaxValue ? new SettingProblem("seed", $"must be below {uint.MaxValue} (llama.cpp reads that value as \"pick a random seed\")") : null;
        yield return Require.AtLeast("max_tokens", MaxTokens, 1);
    }

    /// <summary>Throws a <see cref="SettingException"/> naming every setting that cannot work.</summary>
    public void Validate() => SettingException.ThrowIfAny(Problems());

    public void AddTo(Fingerprint f) => f
        .Add("temperature", Temperature).Add("top_k", TopK).Add("top_p", TopP).Add("min_p", MinP)
        .Add("repeat_penalty", RepeatPenalty).Add("seed", Seed).Add("max_tokens", MaxTokens);
}
