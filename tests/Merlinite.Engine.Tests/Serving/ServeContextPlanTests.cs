using Merlinite.Engine.Serving;

namespace Merlinite.Engine.Tests.Serving;

/// <summary>How `merlinite serve` sizes each sequence without --ctx: the trained context, unless the KV cache of
/// every sequence would take more than half of the free memory.</summary>
public sealed class ServeContextPlanTests
{
    // A Mistral-7B shape: 32 layers × 8 KV heads × (128 + 128) × 4 bytes (F32) = 256 KiB per token.
    private const long Kv7B = 32L * 8 * 256 * 4;

    [Fact]
    public void The_trained_context_when_memory_holds_it()
    {
        var plan = ServeContextPlan.Choose(trainedContext: 4096, Kv7B, sequences: 8, availableBytes: 64L << 30);
        Assert.Equal(4096, plan.PerSequence);
        Assert.False(plan.LimitedByMemory);
        Assert.Equal(4096L * 8 * Kv7B, plan.KvBytes); // 8 GiB: half of 64 GiB holds it
    }

    [Fact]
    public void Less_when_half_the_free_memory_does_not_hold_it()
    {
        // Half of 16 GiB over 8 sequences of 256 KiB tokens: 4096 tokens each, not the trained 32768.
        var plan = ServeContextPlan.Choose(trainedContext: 32768, Kv7B, sequences: 8, availableBytes: 16L << 30);
        Assert.Equal(4096, plan.PerSequence);
        Assert.True(plan.LimitedByMemory);
        Assert.Contains("--ctx", plan.Reason());
        // Rounded down to llama.cpp's 256-cell granule: 17 GiB / 2 / 2 MiB = 4352 exactly, and up to 255 × 2 MiB
        // more (4479 tokens by the same sum) still gives 4352.
        Assert.Equal(4352, ServeContextPlan.Choose(32768, Kv7B, 8, 17L << 30).PerSequence);
        Assert.Equal(4352, ServeContextPlan.Choose(32768, Kv7B, 8, (17L << 30) + (255L << 21)).PerSequence);
    }

    [Fact]
    public void At_least_one_granule_however_little_memory_is_free()
    {
        Assert.Equal(256, ServeContextPlan.Choose(32768, Kv7B, 8, availableBytes: 1 << 20).PerSequence);
        Assert.Equal(128, ServeContextPlan.Choose(128, Kv7B, 8, availableBytes: 1 << 20).PerSequence);
    }
}
