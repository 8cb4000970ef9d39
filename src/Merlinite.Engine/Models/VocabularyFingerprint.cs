using System.Security.Cryptography;
using System.Text;
using Merlinite.Llama;

namespace Merlinite.Engine.Models;

/// <summary>
/// What must match for two models to score the same token ids: the token count and every token's text (hashed).
/// Read with a vocab-only load, so checking two 8x7B models costs seconds, not their weights.
/// </summary>
public sealed record VocabularyFingerprint(string ModelPath, int TokenCount, string Sha256)
{
    public static VocabularyFingerprint Read(string modelPath)
    {
        using var model = LlamaModel.Load(modelPath, new LlamaModelOptions { VocabularyOnly = true });
        var vocab = model.Vocab;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int t = 0; t < vocab.Count; t++)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(vocab.GetText(t)));
            sha.AppendData([0]);
        }
        return new VocabularyFingerprint(modelPath, vocab.Count, Convert.ToHexString(sha.GetHashAndReset()));
    }

    /// <summary>Throws with the reason when the two models tokenize differently.</summary>
    public static void EnsureSame(string instructPath, string referencePath)
    {
        var a = Read(instructPath);
        var b = Read(referencePath);
        if (a.TokenCount != b.TokenCount)
            throw new VocabularyMismatchException($"the models have different vocabularies: {a.ModelPath} has {a.TokenCount} tokens, {b.ModelPath} has {b.TokenCount}; a log-ratio reward needs both to score the same token ids");
        if (a.Sha256 != b.Sha256)
            throw new VocabularyMismatchException($"the models have different vocabularies: both have {a.TokenCount} tokens but their token texts differ (sha256 {a.Sha256[..12]}… vs {b.Sha256[..12]}…); a log-ratio reward needs both to score the same token ids");
    }
}

public sealed class VocabularyMismatchException(string message) : Exception(message);
