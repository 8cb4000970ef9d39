using Merlinite.Gguf;
using Merlinite.Trainer;
using Merlinite.Trainer.Cli;
using Merlinite.Trainer.Training;

// merlinite-trainer: LoRA supervised fine-tuning of a llama-architecture GGUF model, writing a llama.cpp LoRA adapter.
// Progress goes to stdout as JSON Lines; a failure prints an "error" event there, the message on stderr, and exits 1.

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(OptionsParser.Usage);
    return 0;
}

var progress = new ProgressWriter(Console.Out);
try
{
    TrainingRun.Run(OptionsParser.Parse(args), progress);
    return 0;
}
catch (Exception e) when (e is TrainerException or GgufFormatException or IOException or UnauthorizedAccessException)
{
    return Fail(e.Message, null);
}
catch (Exception e)
{
    return Fail($"{e.GetType().Name}: {e.Message}", e);
}

int Fail(string message, Exception? unexpected)
{
    progress.Error(message);
    Console.Error.WriteLine($"merlinite-trainer: {message}");
    if (unexpected is not null) Console.Error.WriteLine(unexpected);
    return 1;
}
