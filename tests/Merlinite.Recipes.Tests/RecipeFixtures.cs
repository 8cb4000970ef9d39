namespace Merlinite.Recipes.Tests;

/// <summary>The files a recipe under test names: model headers and a prompt file.</summary>
internal static class RecipeFixtures
{
    /// <summary>Headers are all the loader reads of a model: a llama-architecture GGUF with one tensor is enough. Also
    /// writes prompts.jsonl with 20 prompts.</summary>
    public static void Write(string dir, params string[] models)
    {
        foreach (var f in models)
        {
            var writer = new Merlinite.Gguf.GgufWriter();
            writer.AddString("general.architecture", "llama");
            writer.AddTensor("token_embd.weight", [8, 4], Merlinite.Gguf.GgmlType.F32, new float[32]);
            writer.Write(Path.Combine(dir, f));
        }
        File.WriteAllLines(Path.Combine(dir, "prompts.jsonl"), Enumerable.Range(0, 20).Select(i => $"{{\"id\":\"p{i}\",\"prompt\":\"q{i}\"}}"));
    }
}
