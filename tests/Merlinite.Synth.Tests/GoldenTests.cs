using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Merlinite.Gguf.Architecture;
using Merlinite.Synth;

namespace Merlinite.Synth.Tests;

/// <summary>
/// Pinned digests: the synthesized weights and vocabulary must be the same on every machine and .NET version.
/// A change here means every previously synthesized model changes: bump <see cref="ModelSynthesizer.AlgorithmVersion"/>.
/// </summary>
public class GoldenTests
{
    [Theory]
    [InlineData(SynthArch.Mistral, "32B7309FDC3D7294F55D67BE20FB5A168B8E17851BA099BC7EE72CB799C9CFC8")]
    [InlineData(SynthArch.Mixtral, "DBB6FE7F8D96D6911CE17A2E4435254346F8E8459688C9B885064910E890337E")]
    public void TinyWeights_HaveThePinnedDigest(SynthArch arch, string expected)
    {
        var hp = new SynthOptions { Arch = arch }.ResolveHyperParameters();
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var spec in LlamaTensorNames.Expected(hp))
        {
            sha.AppendData(Encoding.UTF8.GetBytes(spec.Name));
            sha.AppendData(MemoryMarshal.AsBytes(ModelSynthesizer.GenerateTensor(1, spec, hp).AsSpan()));
        }
        Assert.Equal(expected, Convert.ToHexString(sha.GetHashAndReset()));
    }

    [Theory]
    [InlineData(null, "76EB539D49A4DDC2D06884C70A03242FCC9187634B1E33E9A5A7DA4E0A681A58")]
    [InlineData(32000, "3998B6A8F045DCF83C8F90CE4338A95855C41CBE0608FF3CBDD2232D3B2F5914")]
    public void Vocabulary_HasThePinnedDigest(int? size, string expected)
    {
        var v = SentencePieceVocabulary.Create(size);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int i = 0; i < v.Count; i++)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(v.Pieces[i] + "\0"));
            sha.AppendData(BitConverter.GetBytes(v.Scores[i]));
            sha.AppendData(BitConverter.GetBytes((int)v.Types[i]));
        }
        Assert.Equal(expected, Convert.ToHexString(sha.GetHashAndReset()));
    }

    [Fact]
    public void BaseVocabulary_HasThePinnedSize() => Assert.Equal(1080, SentencePieceVocabulary.BaseSize);

    [Fact]
    public void Tokenize_MatchesWhatLlamaCppProduced()
    {
        // llama_tokenize(add_special = true, parse_special = true) of llama.cpp v0.5.0 on a synthesized tiny model
        var v = SentencePieceVocabulary.Create();
        Assert.Equal([1, 260, 264, 13, 820, 928, 262], v.Tokenize("<|user|>\nhello world<|endoftext|>"));
        Assert.Equal([1050, 423, 701, 290, 264, 283, 276, 264, 281, 276, 264, 282, 278, 1051, 386, 485, 378, 349, 342, 265],
            v.Tokenize("Reverse the list: 3, 1, 2. Sorting is fun!", addBos: false));
    }
}
