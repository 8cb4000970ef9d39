using System.CommandLine;

namespace Merlinite.Cli.Commands;

public static class RootCommandFactory
{
    public static RootCommand Create() => CommandExamples.Apply(new(
        "merlinite — align open chat models on one machine: Merlinite-style iterative rejection sampling " +
        "(sample N answers, score them with a DPO log-ratio reward, fine-tune on the best) on llama.cpp.\n\n" +
        "Start with:  merlinite synth --preset tiny --out gguf/tiny.gguf && merlinite chat gguf/tiny.gguf -p hi")
    {
        ChatCommand.Create(),
        ServeCommand.Create(),
        PackCommand.Create(),
        GenerateCommand.Create(),
        SampleCommand.Create(),
        GenerateDataCommand.Create(),
        TrainCommand.Create(),
        LoraCommand.Create(),
        RunCommand.Create(),
        WorldCommand.Create(),
        SynthCommand.Create(),
        QuantizeCommand.Create(),
        GgufCommand.Create(),
        ScoreCommand.Create(),
        EvalCommand.Create(),
        RewardCommand.Create(),
        TaxonomyCommand.Create(),
        BenchCommand.Create(),
        InfoCommand.Create(),
    });
}
