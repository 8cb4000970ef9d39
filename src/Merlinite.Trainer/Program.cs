using Merlinite.Gguf;
using Merlinite.Trainer;
using Merlinite.Trainer.Cli;
using Merlinite.Trainer.Runtime;
using Merlinite.Trainer.Training;

// merlinite-trainer: LoRA supervised fine-tuning of a llama-architecture GGUF model, writing a llama.cpp LoRA adapter.
// Progress goes to stdout as JSON Lines; a failure prints an "error" event there, the message on stderr, and exits 1.

ParentWatch.Start(); // first: even `--info`, run by `merlinite info`, is a child that must not outlive it

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(OptionsParser.Usage);
    return 0;
}

if (args.Contains("--info"))
{
    Console.WriteLine(RuntimeInfo.Json(args.SkipWhile(a => a != "--device").Skip(1).FirstOrDefault() ?? "auto"));
    return 0;
}

var progress = new ProgressWriter(Console.Out);
try
{
    TrainingRun.Run(OptionsParser.Parse(args), progress);
    return 0;
}
catch (TrainerException e)
{
    return Fail(e.Message, null, e.Kind);
}
catch (Exception e) when (e is GgufFormatException or IOException or UnauthorizedAccessException)
{
    return Fail(e.Message, null);
}
catch (Exception e)
{
    return Fail($"{e.GetType().Name}: {e.Message}", e);
}

int Fail(string message, Exception? unexpected, string? kind = null)
{
    progress.Error(message, kind);
    Console.Error.WriteLine($"merlinite-trainer: {message}");
    if (unexpected is not null) Console.Error.WriteLine(unexpected);
    return 1;
}
