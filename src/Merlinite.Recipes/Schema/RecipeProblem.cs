namespace Merlinite.Recipes.Schema;

/// <summary>One thing wrong with a recipe, at a place in its file (1-based line and column).</summary>
public sealed record RecipeProblem(string File, long Line, long Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>A recipe that cannot run; <see cref="Problems"/> lists everything found, not just the first.</summary>
public sealed class RecipeException(IReadOnlyList<RecipeProblem> problems)
    : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<RecipeProblem> Problems { get; } = problems;
}
