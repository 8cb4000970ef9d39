using System.CommandLine;
using System.Text;
using System.Text.Json;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Generation;
using Merlinite.Engine.Models;

namespace Merlinite.Cli.Commands;

public static class ChatCommand
{
    public static Command Create()
    {
        var modelArg = new Argument<FileInfo?>("MODEL") { Description = "the GGUF model file (see gguf/README.md); or give it with -m", Arity = ArgumentArity.ZeroOrOne };
        var modelOpt = Flags.Optional<FileInfo?>("model", "the GGUF model file (instead of MODEL)", "M.gguf");
        var lora = Flags.Optional<string[]>("lora", "LoRA adapter to apply, ADAPTER.gguf[:scale] (repeatable; scale defaults to 1)", "ADAPTER[:scale]");
        var runtime = new RuntimeFlags();
        var sampling = new SamplingFlags();
        var prompt = new Option<string?>("--prompt", "-p") { Description = "one-shot: answer this message and exit (stdin is read instead when it is piped)" };
        var system = Flags.Optional<string?>("system", "system prompt (default: the Merlinite model card's; \"\" for none)");
        var json = new Option<bool>("--json") { Description = "one-shot output as a JSON object (text, token counts, finish reason, speed)" };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "never stop at an end-of-generation token: every reply runs to --max-tokens (benchmarks)" };
        var template = ScoringFlags.Template(ChatTemplate.Merlinite,
            "merlinite: Merlinite's chat template; model: the GGUF's own (tokenizer.chat_template); " +
            "raw: the texts as they are");

        var cmd = new Command("chat", """
            Chat with a model, in Merlinite's template by default (<|system|>/<|user|>/<|assistant|>, stops at <|endoftext|>). On a terminal: a line editor (arrows, ↑/↓ history kept in ~/.config/merlinite/chat_history, Alt+Enter or a trailing \ for a new line), streamed replies, Ctrl+C stops a reply, Ctrl+D quits, /help lists /system /save /load /reset /stats. One-shot with -p or piped stdin.
            """)
        {
            modelArg, modelOpt, lora,
        };
        runtime.AddTo(cmd);
        sampling.AddTo(cmd);
        cmd.Add(prompt); cmd.Add(system); cmd.Add(json); cmd.Add(ignoreEos); cmd.Add(template);

        cmd.SetAction((parse, ct) =>
        {
            var file = parse.GetValue(modelArg) ?? parse.GetValue(modelOpt)
                ?? throw new UsageException("give the model as MODEL or with -m/--model (see 'merlinite chat --help')");
            var samplingOptions = sampling.Read(parse);
            var load = new ModelLoadOptions { Model = runtime.Model(parse, file, parse.GetValue(lora)), Runtime = runtime.Read(parse) };
            Engine.Settings.SettingException.ThrowIfAny(load.Runtime.Problems());
            string? oneShot = parse.GetValue(prompt);
            if (oneShot is null && Console.IsInputRedirected) oneShot = Console.In.ReadToEnd().TrimEnd('\n', '\r');
            if (oneShot is not null && oneShot.Length == 0) throw new UsageException("the prompt is empty");
            var chatTemplate = ChatTemplates.Parse(parse.GetValue(template)!);
            string? systemPrompt = chatTemplate.SystemPrompt(parse.GetValue(system));

            using var loaded = LoadedModel.Load(load);
            var session = new ChatSession(loaded, systemPrompt, samplingOptions, parse.GetValue(ignoreEos),
                chatTemplate);
            session.Notice += message => Console.Error.WriteLine($"note: {message}");
            var (context, trained) = (loaded.ContextSize, loaded.TrainedContext);
            if (runtime.ContextGiven(parse) && context > trained)
                Console.Error.WriteLine($"note: {Flags.Of("context")} {context} is above the {trained} tokens the " +
                                        "model was trained with; its answers degrade past them");
            if (oneShot is null)
                Console.Error.WriteLine($"{file.Name}: {context}-token context (trained with {trained}), template " +
                                        $"{chatTemplate.Name()}, {samplingOptions.MaxTokens} tokens a reply at most");

            int code = oneShot is not null
                ? OneShot(session, oneShot, parse.GetValue(json), ct)
                : new ChatRepl(session).Run();
            return Task.FromResult(code);
        });
        return cmd;
    }

    private static int OneShot(ChatSession session, string message, bool json, CancellationToken ct)
    {
        if (!json)
        {
            using var stdout = Console.OpenStandardOutput();
            session.Reply(message, chunk => ChatRepl.Write(stdout, chunk), ct);
            ChatRepl.Write(stdout, "\n");
            return ExitCodes.Ok;
        }

        var r = session.Reply(message, null, ct);
        using var w = new Utf8JsonWriter(Console.OpenStandardOutput(), Engine.Data.JsonStyle.IndentedWriter);
        w.WriteStartObject();
        w.WriteString("text", r.Text);
        w.WriteString("finish_reason", r.FinishReason.ToWireName());
        w.WriteNumber("prompt_tokens", r.PromptTokens);
        w.WriteNumber("completion_tokens", r.CompletionTokens);
        w.WriteNumber("seed", r.Seed);
        w.WriteNumber("tokens_per_second", Math.Round(r.TokensPerSecond, 1));
        w.WriteEndObject();
        w.Flush();
        Console.WriteLine();
        return ExitCodes.Ok;
    }
}
