namespace Merlinite.Cli.Tests;

/// <summary>
/// Every command that writes a file makes the folder it goes in: the root help's first command
/// (`merlinite synth --preset tiny --out gguf/tiny.gguf`) used to fail in a fresh folder.
/// </summary>
public sealed class OutputFolderCliTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _model, _prompts, _pairs, _adapter, _peft, _choices;

    public OutputFolderCliTests()
    {
        _model = _dir.File("model.gguf");
        Assert.Equal(0, MerliniteBinary.Run("synth", "--out", _model).ExitCode);
        _prompts = _dir.File("prompts.jsonl");
        File.WriteAllLines(_prompts, ["{\"id\":\"a\",\"prompt\":\"Reverse: 1 2\"}"]);
        _pairs = _dir.File("pairs.jsonl");
        File.WriteAllLines(_pairs, ["{\"id\":\"a\",\"prompt\":\"Reverse: 1 2\",\"response\":\"2 1\"}"]);
        _choices = _dir.File("choices.jsonl");
        File.WriteAllLines(_choices, ["{\"question\":\"1 + 1?\",\"choices\":[\"2\",\"3\"],\"answer\":0}"]);
        _adapter = _dir.File("adapter.gguf");
        AdapterFixture.Write(_adapter, width: 64, rank: 4);
        _peft = _dir.File("peft");
        Assert.Equal(0, MerliniteBinary.Run("lora", "export", "-m", _model, "-i", _adapter, "-o", _peft).ExitCode);
        string skill = _dir.File("taxonomy/compositional_skills/count/qna.yaml");
        Directory.CreateDirectory(Path.GetDirectoryName(skill)!);
        File.WriteAllText(skill, "version: 2\ncreated_by: tester\ntask_description: Count\nseed_examples:\n" +
            string.Concat(Enumerable.Range(0, 5).Select(i => $"  - question: What comes after {i}?\n    answer: \"{i + 1}\"\n")));
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Each command's arguments for an output under O (a folder that does not exist yet), and the file it
    /// writes.</summary>
    private static readonly Dictionary<string, Func<OutputFolderCliTests, string, (string[], string)>> Commands =
        new()
    {
        ["synth"] = (_, o) => (["synth", "--preset", "tiny", "--out", $"{o}/gguf/tiny.gguf"], $"{o}/gguf/tiny.gguf"),
        ["sample"] = (t, o) => ([
            "sample", "-m", t._model, "-i", t._prompts, "-o", $"{o}/s.jsonl", "--n", "1", "--max-tokens", "4",
            "-t", "1",
        ], $"{o}/s.jsonl"),
        ["score"] = (t, o) => (["score", "-m", t._model, "-i", t._pairs, "-o", $"{o}/sc.jsonl", "-t", "1"],
            $"{o}/sc.jsonl"),
        ["generate"] = (t, o) => ([
            "generate", "-m", t._model, "-i", t._prompts, "-o", $"{o}/g.jsonl", "--max-tokens", "4", "-t", "1",
        ], $"{o}/g.jsonl"),
        ["quantize"] = (t, o) => (["quantize", "-m", t._model, "-o", $"{o}/q.gguf", "--type", "q8_0"],
            $"{o}/q.gguf"),
        ["lora-merge"] = (t, o) => (["lora", "merge", "-m", t._model, "--lora", t._adapter, "-o", $"{o}/m.gguf"],
            $"{o}/m.gguf"),
        ["lora-export"] = (t, o) => (["lora", "export", "-m", t._model, "-i", t._adapter, "-o", $"{o}/peft"],
            $"{o}/peft/adapter_config.json"),
        ["lora-import"] = (t, o) => (["lora", "import", "-m", t._model, "-i", t._peft, "-o", $"{o}/a.gguf"],
            $"{o}/a.gguf"),
        ["reward"] = (t, o) => ([
            "reward", "--instruct-model", t._model, "--reference-model", t._model, "-i", t._pairs,
            "-o", $"{o}/r.jsonl",
            "--template", "merlinite", "-t", "1",
        ], $"{o}/r.jsonl"),
        ["eval"] = (t, o) => ([
            "eval", "multiple_choice", "-m", t._model, "-d", t._choices, "-o", $"{o}/e.jsonl", "-t", "1",
        ], $"{o}/e.jsonl"),
        ["train"] = (t, o) => ([
            "train", "-m", t._model, "-i", t._pairs, "-o", $"{o}/t.gguf", "--max-steps", "1", "--lora-rank", "4",
            "-t", "1",
        ], $"{o}/t.gguf"),
        // A random teacher keeps no examples (exit 1, said so), but the output folder and its report are written.
        ["generate-data"] = (t, o) => ([
            "generate-data", "--taxonomy", t._dir.File("taxonomy"), "--teacher", t._model, "-o", $"{o}/data",
            "--questions", "2", "-t", "1",
        ], $"{o}/data/report.json"),
    };

    public static TheoryData<string> Names() => new(Commands.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void A_command_writes_into_folders_that_do_not_exist_yet(string name)
    {
        var (args, file) = Commands[name](this, _dir.File($"fresh-{name}/two/levels"));
        var r = MerliniteBinary.Run(args);
        Assert.DoesNotContain("Could not find a part of the path", r.Stderr);
        Assert.True(r.ExitCode == 0 || name == "generate-data", $"exit {r.ExitCode}: {r.Stderr}");
        Assert.True(File.Exists(file), $"{file} is missing: {r.Stderr}");
    }
}
