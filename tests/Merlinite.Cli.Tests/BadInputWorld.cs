namespace Merlinite.Cli.Tests;

/// <summary>The files the bad-input corpus points commands at: good ones (so that only the bad part fails) and bad ones.</summary>
public sealed class BadInputWorld : IDisposable
{
    private readonly TempDir _dir = new();

    public BadInputWorld()
    {
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--out", Model).ExitCode);
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "2", "--out", Other).ExitCode);
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "1", "--dims", "n_vocab=1200", "--out", OtherVocab).ExitCode);
        System.IO.File.WriteAllText(Text, "hello, I am not a model\n");
        System.IO.File.WriteAllBytes(Truncated, System.IO.File.ReadAllBytes(Model)[..4096]);
        AdapterFixture.Write(Adapter, width: 64, rank: 4);
        Directory.CreateDirectory(Folder);
        System.IO.File.WriteAllLines(Prompts, ["{\"id\":\"a\",\"prompt\":\"Reverse: 1 2 3\"}", "{\"id\":\"b\",\"prompt\":\"Sort: 3 1 2\"}"]);
        System.IO.File.WriteAllLines(Pairs, ["{\"id\":\"a\",\"prompt\":\"Reverse: 1 2 3\",\"response\":\"3 2 1\"}"]);
        System.IO.File.WriteAllLines(Prefs, ["{\"id\":\"a\",\"prompt\":\"Reverse: 1 2 3\",\"chosen\":\"3 2 1\",\"rejected\":\"1 2 3\"}"]);
        System.IO.File.WriteAllText(Unrelated, "a file of the user's that merlinite did not write\n");
    }

    public string Path => _dir.Path;
    public string File(string name) => _dir.File(name);
    public string Model => _dir.File("model.gguf");
    public string Other => _dir.File("other.gguf");
    public string OtherVocab => _dir.File("other-vocab.gguf");
    public string Text => _dir.File("text.gguf");
    public string Truncated => _dir.File("truncated.gguf");
    public string Adapter => _dir.File("adapter.gguf");
    public string Folder => _dir.File("a-folder");
    public string Prompts => _dir.File("prompts.jsonl");
    public string Pairs => _dir.File("pairs.jsonl");
    public string Prefs => _dir.File("prefs.jsonl");
    public string Unrelated => _dir.File("mine.jsonl");

    /// <summary>Writes a JSONL (or any) input case from raw bytes and returns its path.</summary>
    public string Input(string name, byte[] bytes)
    {
        string path = _dir.File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Writes a recipe in its own folder (output in that folder's "out") and returns its path.</summary>
    public string Recipe(string name, string yaml)
    {
        string dir = _dir.File(name);
        Directory.CreateDirectory(dir);
        string path = System.IO.Path.Combine(dir, "recipe.yaml");
        System.IO.File.WriteAllText(path, yaml);
        return path;
    }

    public string GoodRecipe(string extra = "") => $$"""
        name: bad-input
        models:
          policy: {base: {{Model}}}
          instruct: {path: {{Other}}}
          reference: {path: {{Model}}}
        prompts: {files: [{{Prompts}}], per_round: 2}
        reward: {template: merlinite}
        output: {dir: out}
        {{extra}}
        """;

    public void Dispose() => _dir.Dispose();
}
