using System.CommandLine;
using System.Text;
using System.Text.Json;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Data;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;

namespace Merlinite.Cli.Commands;

public static class GenerateCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var sampling = new SamplingFlags();
        var prompts = new Option<FileInfo>("--prompts") { Description = "JSONL input, one object per line: {\"id\", \"prompt\"} or {\"id\", \"messages\": [{\"role\", \"content\"}]}", Required = true, HelpName = "in.jsonl" };
        var output = new Option<FileInfo>("--out", "-o") { Description = "JSONL output: {\"id\", \"response\", \"finish_reason\", \"prompt_tokens\", \"completion_tokens\"} per line", Required = true, HelpName = "out.jsonl" };
        var system = new Option<string?>("--system") { Description = "system prompt for plain \"prompt\" lines (default: the Merlinite model card's; \"\" for none)" };
        var template = new Option<string>("--template") { Description = "merlinite: wrap prompts in Merlinite's chat template; raw: use the prompt text as-is", DefaultValueFactory = _ => "merlinite" };
        template.AcceptOnlyFromAmong("merlinite", "raw");

        var cmd = new Command("generate", "Write one completion per prompt of a JSONL file. The output appears complete only when every line is done.");
        model.AddTo(cmd);
        sampling.AddTo(cmd);
        cmd.Add(prompts); cmd.Add(output); cmd.Add(system); cmd.Add(template);

        cmd.SetAction((parse, ct) =>
        {
            var load = model.Read(parse);
            var samplingOptions = sampling.Read(parse);
            var input = parse.GetValue(prompts)!;
            if (!input.Exists) throw new UsageException($"prompts file not found: {input.FullName}");
            bool raw = parse.GetValue(template) == "raw";
            string systemPrompt = parse.GetValue(system) ?? MerliniteTemplate.DefaultSystemPrompt;
            var items = PromptFile.Read(input.FullName, systemPrompt);

            using var loaded = LoadedModel.Load(load);
            var outPath = parse.GetValue(output)!.FullName;
            using var writer = new AtomicTextFile(outPath);
            ProgressDisplay.Run($"generate {items.Count} prompts", sink =>
            {
                for (int i = 0; i < items.Count; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    var item = items[i];
                    string text = PromptText.Render(item.Messages, raw);
                    var r = Completion.Run(loaded, text, samplingOptions, ct);
                    writer.WriteLine(ResultLine(item.Id, r));
                    sink.Report((i + 1.0) / items.Count, $"{i + 1}/{items.Count}");
                }
                return 0;
            });
            writer.Commit();
            Console.Error.WriteLine($"wrote {items.Count} completions to {outPath}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return cmd;
    }

    private static string ResultLine(string id, GenerationResult r)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("response", r.Text);
            w.WriteString("finish_reason", r.FinishReason.ToWireName());
            w.WriteNumber("prompt_tokens", r.PromptTokens);
            w.WriteNumber("completion_tokens", r.CompletionTokens);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
