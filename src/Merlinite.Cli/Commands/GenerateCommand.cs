using System.CommandLine;
using System.Text;
using System.Text.Json;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;
using Merlinite.Engine.Outputs;

namespace Merlinite.Cli.Commands;

public static class GenerateCommand
{
    public static Command Create()
    {
        var model = Flags.Required<FileInfo>("model", "the GGUF model file", "M.gguf");
        var lora = Flags.Optional<string[]>("lora", "LoRA adapter to apply, ADAPTER.gguf[:scale] (repeatable)", "ADAPTER[:scale]");
        var input = Flags.Required<FileInfo>("input", "JSONL input, one object per line: {\"id\", \"prompt\"} or {\"id\", \"messages\": [{\"role\", \"content\"}]}", "in.jsonl");
        var output = Flags.Required<FileInfo>("out", "JSONL output: {\"id\", \"response\", \"finish_reason\", \"prompt_tokens\", \"completion_tokens\"} per line", "out.jsonl");
        var system = Flags.Optional<string?>("system", "system prompt for plain \"prompt\" lines (default: the Merlinite model card's with --template merlinite; \"\" for none)");
        var template = ScoringFlags.Template(ChatTemplate.Merlinite, "merlinite: Merlinite's chat template; model: the GGUF's own; raw: the prompt text as it is");
        var runtime = new RuntimeFlags();
        var sampling = new SamplingFlags();

        var cmd = new Command("generate", "Write one completion per prompt of a JSONL file. The output appears complete only when every line is done.")
        {
            model, lora, input, output, system, template,
        };
        runtime.AddTo(cmd);
        sampling.AddTo(cmd);

        cmd.SetAction((parse, ct) =>
        {
            var samplingOptions = sampling.Read(parse);
            var load = new ModelLoadOptions { Model = runtime.Model(parse, parse.GetValue(model)!, parse.GetValue(lora)), Runtime = runtime.Read(parse) };
            Engine.Settings.SettingException.ThrowIfAny(load.Runtime.Problems());
            var outFile = new OutputFile(parse.GetValue(output)!.FullName);
            outFile.EnsureWritable([("input", parse.GetValue(input)!.FullName), ("model", load.Model.Path),
                .. load.Model.Loras.Select(l => ("lora", l.Path))]);
            var chat = ChatTemplates.Parse(parse.GetValue(template)!);
            var items = PromptFile.Read(parse.GetValue(input)!.FullName, chat.SystemPrompt(parse.GetValue(system)));

            using var loaded = LoadedModel.Load(load);
            var renderer = new PromptRenderer(loaded, chat);
            ProgressDisplay.Run($"generate {Engine.Plural.Of(items.Count, "prompt")}", sink =>
            {
                AtomicFile.Write(outFile.Path, writer =>
                {
                    for (int i = 0; i < items.Count; i++)
                    {
                        ct.ThrowIfCancellationRequested();
                        var r = Completion.Run(loaded, renderer.Render(items[i].Messages), samplingOptions, ct);
                        writer.Write(ResultLine(items[i].Id, r));
                        writer.Write('\n');
                        sink.Report((i + 1.0) / items.Count, $"{i + 1}/{items.Count}");
                    }
                });
                return 0;
            });
            Console.Error.WriteLine($"wrote {Engine.Plural.Of(items.Count, "completion")} to {outFile.Path}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    private static string ResultLine(string id, GenerationResult r)
    {
        return JsonLines.Format(w =>
        {
            w.WriteString("id", id);
            w.WriteString("response", r.Text);
            w.WriteString("finish_reason", r.FinishReason.ToWireName());
            w.WriteNumber("prompt_tokens", r.PromptTokens);
            w.WriteNumber("completion_tokens", r.CompletionTokens);
        });
    }
}
