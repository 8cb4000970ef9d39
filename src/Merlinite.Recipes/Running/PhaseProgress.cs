namespace Merlinite.Recipes.Running;

/// <summary>How the runner shows a phase: the caller runs <paramref name="work"/> inside its progress display and
/// hands it a reporter (fraction 0..1, detail).</summary>
public delegate void PhaseDisplay(string title, Action<Action<double, string?>> work);
