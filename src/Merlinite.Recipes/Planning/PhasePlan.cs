using Merlinite.Engine.Placement;

namespace Merlinite.Recipes.Planning;

/// <summary>
/// One phase of a round as planned: the model it holds, where the model's tensors go, the peak GPU and host memory,
/// an estimated time, and when it does not fit, what to change (<see cref="Problem"/>). Memory is null where the model
/// file is missing or unreadable; seconds where there is no rate for the work.
/// </summary>
public sealed record PhasePlan(string Name, string Model, string Work, string Placement, long? Gpu, long? Host,
    double? Seconds, IReadOnlyList<ThroughputRow> RatesFrom, string? Problem);
