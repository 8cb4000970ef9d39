namespace Merlinite.Cli.Tests;

/// <summary>What a new user meets first: the command list, `help CMD`, examples in every --help, suggestions for typos.</summary>
public class CliDiscoveryTests
{
    [Fact]
    public void Merlinite_alone_and_help_list_the_commands()
    {
        foreach (var args in new[] { Array.Empty<string>(), ["help"] })
        {
            var r = MerliniteBinary.Run(args);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(Commands(r.Stdout), Commands(MerliniteBinary.Run("--help").Stdout));
            Assert.Contains("chat", Commands(r.Stdout));
            Assert.Contains("serve", Commands(r.Stdout));
        }
        var chat = MerliniteBinary.Run("help", "chat");
        Assert.Equal(0, chat.ExitCode);
        Assert.Equal(MerliniteBinary.Run("chat", "--help").Stdout, chat.Stdout);
        Assert.Equal(MerliniteBinary.Run("reward", "eval", "--help").Stdout, MerliniteBinary.Run("help", "reward", "eval").Stdout);
    }

    [Fact]
    public void Every_command_has_examples_and_each_example_parses()
    {
        var leaves = LeafCommands([]).ToList();
        Assert.True(leaves.Count >= 20, string.Join(", ", leaves.Select(l => string.Join(' ', l))));
        foreach (var path in leaves)
        {
            string help = MerliniteBinary.Run([.. path, "--help"]).Stdout;
            var examples = help.Split('\n').SkipWhile(l => l != "Examples:").Skip(1)
                .TakeWhile(l => l.StartsWith("  merlinite ", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
            Assert.True(examples.Count > 0, $"merlinite {string.Join(' ', path)} --help has no examples");
            foreach (var example in examples)
            {
                var words = ShellWords(example);
                Assert.Equal("merlinite", words[0]);
                Assert.Equal(path, words.Skip(1).Take(path.Length));
                // Every option the example uses is one the command lists, and every required option is given.
                var options = Options(help);
                foreach (var word in words.Where(w => w.StartsWith('-')))
                    Assert.True(options.Any(o => o.Names.Contains(word.Split('=')[0])), $"'{example}': {word} is not an option of merlinite {string.Join(' ', path)}");
                foreach (var required in options.Where(o => o.Required))
                    Assert.True(words.Any(w => required.Names.Contains(w.Split('=')[0])), $"'{example}' lacks the required {required.Names[0]}");
            }
        }
    }

    [Theory]
    [InlineData(new[] { "chat", "m.gguf", "--threds", "2" }, "unknown option '--threds' for 'merlinite chat'; did you mean --threads?")]
    [InlineData(new[] { "chat", "--threds", "2" }, "unknown option '--threds' for 'merlinite chat'; did you mean --threads?")]
    [InlineData(new[] { "run", "--dryrun", "recipes/tiny.yaml" }, "did you mean --dry-run?")]
    [InlineData(new[] { "chta" }, "unknown command 'chta' for 'merlinite'; did you mean chat?")]
    [InlineData(new[] { "help", "chta" }, "unknown command 'chta' for 'merlinite'; did you mean chat?")]
    [InlineData(new[] { "reward", "evl", "--help" }, "unknown command 'evl' for 'merlinite reward'; did you mean eval?")]
    [InlineData(new[] { "bench", "smaple", "-m", "x.gguf" }, "did you mean sample?")]
    [InlineData(new[] { "sample", "--nn", "4" }, "did you mean --n?")]
    // Spellings of other tools (llama.cpp, vLLM, Hugging Face), snake_case, and a short name of the wrong kind.
    [InlineData(new[] { "chat", "m.gguf", "--temperature", "0.7" }, "did you mean --temp?")]
    [InlineData(new[] { "generate", "-m", "m.gguf", "--n-predict", "64" }, "did you mean --max-tokens?")]
    [InlineData(new[] { "sample", "--model-path", "m.gguf" }, "did you mean --model?")]
    [InlineData(new[] { "train", "--learning-rate", "1e-4" }, "did you mean --lr?")]
    [InlineData(new[] { "sample", "-m", "m.gguf", "-n", "8" }, "did you mean --n?")]
    [InlineData(new[] { "sample", "-m", "m.gguf", "--top_p", "0.9" }, "did you mean --top-p?")]
    public void A_typo_gets_the_nearest_name(string[] args, string expected)
    {
        var r = MerliniteBinary.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
    }

    [Theory]
    [InlineData(new[] { "sample", "-m", "m.gguf", "--seed", "abc" }, "'abc' is not a whole number of 0 or more (--seed)")]
    [InlineData(new[] { "chat", "m.gguf", "--temp", "warm" }, "'warm' is not a number (--temp)")]
    [InlineData(new[] { "sample", "-m", "m.gguf", "-i", "p.jsonl", "--out" }, "--out needs a value")]
    public void Parse_errors_speak_of_values_not_dotnet_types(string[] args, string expected)
    {
        var r = MerliniteBinary.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Stderr);
        Assert.DoesNotContain("System.", r.Stderr);
    }

    [Fact]
    public void A_far_off_option_gets_no_guess()
    {
        var r = MerliniteBinary.Run("chat", "m.gguf", "--frobnicate");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown option '--frobnicate'", r.Stderr);
        Assert.DoesNotContain("did you mean", r.Stderr);
    }

    /// <summary>The Options section of a --help: each option's names and whether it is required.</summary>
    private static List<(string[] Names, bool Required)> Options(string help) =>
        help.Split('\n').SkipWhile(l => l != "Options:").Skip(1).TakeWhile(l => l.Length > 0)
            .Where(l => l.Length > 2 && l.StartsWith("  -", StringComparison.Ordinal))
            .Select(l =>
            {
                string names = l.Trim().Split("  ")[0]; // "-m, --model <M.gguf> (REQUIRED)"
                return (names.Split(' ')[0..].Select(n => n.TrimEnd(',')).Where(n => n.StartsWith('-')).ToArray(), l.Contains("(REQUIRED)", StringComparison.Ordinal));
            }).ToList();

    /// <summary>Command paths without subcommands, found through the Commands section of each --help.</summary>
    private static IEnumerable<string[]> LeafCommands(string[] path)
    {
        var subs = Commands(MerliniteBinary.Run([.. path, "--help"]).Stdout);
        if (subs.Count == 0) { yield return path; yield break; }
        foreach (var s in subs)
            foreach (var leaf in LeafCommands([.. path, s])) yield return leaf;
    }

    private static List<string> Commands(string help) =>
        help.Split('\n').SkipWhile(l => l.Trim() != "Commands:").Skip(1)
            .TakeWhile(l => l.Length > 0)
            .Where(l => l.Length > 2 && l.StartsWith("  ", StringComparison.Ordinal) && l[2] != ' ') // wrapped text is indented further
            .Select(l => l.Trim().Split(' ')[0]).ToList();

    /// <summary>Splits a command line as a POSIX shell would for these examples (double quotes, no escapes).</summary>
    private static List<string> ShellWords(string line)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false, any = false;
        foreach (char c in line)
        {
            if (c == '"') { quoted = !quoted; any = true; }
            else if (c == ' ' && !quoted) { if (any) words.Add(current.ToString()); current.Clear(); any = false; }
            else { current.Append(c); any = true; }
        }
        if (any) words.Add(current.ToString());
        return words;
    }
}
