using Merlinite.Engine.DataGeneration;
using Merlinite.Recipes.Schema;

namespace Merlinite.Recipes.Taxonomy;

/// <summary>
/// What checking a taxonomy found. <see cref="Leaves"/> holds every leaf whose qna.yaml (and documents) had no problem,
/// sorted by path; <see cref="Problems"/> everything wrong in every file, sorted by file, line and column, so one run of
/// `merlinite taxonomy check` lists all there is to fix. <see cref="Notes"/> says what was not checked (documents of a
/// remote repository with no local clone to read them from), as "file:line:col: text".
/// </summary>
public sealed record TaxonomyCheck(IReadOnlyList<TaxonomyLeaf> Leaves, IReadOnlyList<RecipeProblem> Problems, IReadOnlyList<string> Notes)
{
    public bool Ok => Problems.Count == 0;
}
