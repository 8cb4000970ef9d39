namespace Merlinite.Engine.DataGeneration;

/// <summary>What a taxonomy leaf teaches: knowledge (facts grounded in documents) or a skill (a way of answering).
/// The SFT phases train on them in this order: knowledge first, then skills with a replay of knowledge.</summary>
public enum LeafKind { Knowledge, Skill }

/// <summary>A seed example: a question with its answer, and for knowledge and grounded skills the passage both rest on.</summary>
public sealed record SeedExample(string Question, string Answer, string? Context = null);

/// <summary>A document a knowledge leaf is grounded in: its name (the path inside its repository) and its text.</summary>
public sealed record LeafDocument(string Name, string Text);

/// <summary>
/// One leaf of a taxonomy (a folder holding a qna.yaml), read and checked, as data generation needs it.
/// <see cref="Path"/> is the folder relative to the taxonomy root with '/' separators (e.g.
/// "compositional_skills/digits/increment"): the generated examples' "source". <see cref="Description"/> is the
/// skill's task_description, or the knowledge leaf's domain and document outline.
/// </summary>
public sealed record TaxonomyLeaf(string Path, LeafKind Kind, string Description, IReadOnlyList<SeedExample> Seeds,
    IReadOnlyList<LeafDocument> Documents)
{
    /// <summary>A grounded skill answers from a given context (its seed examples carry one).</summary>
    public bool Grounded => Kind == LeafKind.Skill && Seeds.Any(s => s.Context is not null);
}
