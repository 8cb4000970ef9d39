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
        Assert.Equal(0, MerliniteBinary.Run("synth", "--seed", "3", "--dims", "n_embd=96", "--out", Wide).ExitCode);
        System.IO.File.Copy(Model, Victim);
        System.IO.File.CreateSymbolicLink(VictimLink, Victim);
        using (var ln = System.Diagnostics.Process.Start("ln", [Victim, VictimHardLink])) ln.WaitForExit();
        Assert.True(System.IO.File.Exists(VictimHardLink));
        Directory.CreateSymbolicLink(LinkedFolder, _dir.Path);
        Directory.CreateDirectory(ForeignPeft);
        System.IO.File.WriteAllText(System.IO.Path.Combine(ForeignPeft, "adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": 16}\n");
        Directory.CreateDirectory(File("taxonomy/compositional_skills/count"));
        System.IO.File.WriteAllText(File("taxonomy/compositional_skills/count/qna.yaml"),
            "version: 2\ncreated_by: tester\ntask_description: Count\nseed_examples:\n" +
            string.Concat(Enumerable.Range(0, 5).Select(i => $"  - question: What comes after {i}?\n    answer: \"{i + 1}\"\n")));
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
    /// <summary>A 96-wide model (the others are 64 wide).</summary>
    public string Wide => _dir.File("wide.gguf");
    /// <summary>A copy of <see cref="Model"/> that cases try to overwrite (through a symbolic and a hard link too).</summary>
    public string Victim => _dir.File("victim.gguf");
    public string VictimLink => _dir.File("victim-link.gguf");
    public string VictimHardLink => _dir.File("victim-hard.gguf");

    /// <summary>A symbolic link to the world's folder: every file again under another path.</summary>
    public string LinkedFolder => _dir.File("linked");
    /// <summary>A PEFT folder whose adapter_config.json is the user's (merlinite has no record of it).</summary>
    public string ForeignPeft => _dir.File("foreign-peft");
    /// <summary>A sound taxonomy of one skill.</summary>
    public string Taxonomy => _dir.File("taxonomy");

    private const string Q = "self_attn.q_proj";

    /// <summary>A PEFT folder: adapter_config.json with <paramref name="alpha"/> as its JSON value, and zero tensors
    /// named "LAYER.MODULE.lora_X" with their torch shapes.</summary>
    public string Peft(string name, string alpha, params (string Name, long[] Shape)[] tensors)
    {
        string dir = _dir.File(name);
        Directory.CreateDirectory(dir);
        System.IO.File.WriteAllText(System.IO.Path.Combine(dir, "adapter_config.json"), $"{{\"peft_type\":\"LORA\",\"r\":4,\"lora_alpha\":{alpha}}}");
        Merlinite.Gguf.Lora.Safetensors.Write(System.IO.Path.Combine(dir, "adapter_model.safetensors"), tensors.Select(t =>
            new Merlinite.Gguf.Lora.SafetensorsTensor($"base_model.model.model.layers.{t.Name}.weight", t.Shape,
                new float[t.Shape.Aggregate(1L, (a, b) => a * b)])).ToList());
        return dir;
    }

    /// <summary>A PEFT folder that fits <see cref="Model"/>: q_proj of layer 0 at rank 4.</summary>
    public string GoodPeft => System.IO.Directory.Exists(_dir.File("peft-good")) ? _dir.File("peft-good")
        : Peft("peft-good", "8", ($"0.{Q}.lora_A", [4, 64]), ($"0.{Q}.lora_B", [64, 4]));

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
