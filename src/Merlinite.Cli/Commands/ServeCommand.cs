using System.CommandLine;
using Merlinite.Cli.Infrastructure;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Serving;
using Merlinite.Engine.Settings;
using Merlinite.Serve;

namespace Merlinite.Cli.Commands;

public static class ServeCommand
{
    private static readonly ServeSettings D = new();

    public static Command Create()
    {
        var model = Flags.Required<FileInfo>("model", "the GGUF model to serve", "M.gguf");
        var lora = Flags.Optional<string[]>("lora", "NAME=ADAPTER.gguf[:scale]: an adapter a request picks with \"model\": \"NAME\"; ADAPTER.gguf[:scale] without a name: applied to every request (repeatable)", "[NAME=]ADAPTER[:scale]");
        var host = Flags.Create("host", "address to listen on (loopback by default; 0.0.0.0 exposes the server to the network)", D.Host, "ADDR");
        var port = Flags.Create("port", "TCP port", D.Port, "PORT");
        var parallel = Flags.Create("parallel", "sequences decoded together: the choices of all running requests", D.Parallel, "N");
        var maxQueued = Flags.Create("max_queued", "requests that may wait beyond the running ones (more get 429)", D.MaxQueued, "N");
        var apiKey = Flags.Optional<string?>("api_key", "require Authorization: Bearer KEY on /v1 requests", "KEY");
        var template = ScoringFlags.Template(D.Template, "how chat messages become the prompt: merlinite (Merlinite's template), model (the GGUF's own), raw");
        var system = Flags.Optional<string?>("system", "system prompt for chats that send none (default: the template's; \"\" for none)");
        var maxTokens = Flags.Create("max_tokens", "max_tokens of a request that gives none", D.DefaultMaxTokens, "N");
        var promptCache = Flags.Create("prompt_cache", "reuse the longest start a new prompt shares with the last one " +
            "a sequence decoded (the system prompt, a chat's history); false decodes every prompt whole", D.PromptCache);
        var ignoreEos = Flags.Create("ignore_eos", "never stop at an end-of-generation token unless a request's ignore_eos says otherwise (fixed-length answers, benchmarks)", D.IgnoreEos);
        var runtime = new RuntimeFlags(defaults: D.Runtime, contextHelp: "KV cells of all sequences together " +
            "(0 = each sequence gets the model's trained context, as far as half the free memory holds)");
        var cmd = new Command("serve",
            "An OpenAI-compatible server: POST /v1/chat/completions and /v1/completions (n > 1 on one prompt decode, stream, " +
            "logprobs, echo with prompt log-probs), GET /v1/models, /health, /metrics, and a chat page at /. All running " +
            "requests are batched together. Ctrl+C or SIGTERM stops it.")
        {
            model, lora, host, port, parallel, maxQueued, apiKey, template, system, maxTokens, ignoreEos, promptCache,
        };
        runtime.AddTo(cmd);
        cmd.SetAction(async (parse, ct) =>
        {
            var settings = new ServeSettings
            {
                Host = parse.GetValue(host)!, Port = parse.GetValue(port), Parallel = parse.GetValue(parallel), MaxQueued = parse.GetValue(maxQueued),
                ApiKey = parse.GetValue(apiKey), Template = ChatTemplates.Parse(parse.GetValue(template)!), System = parse.GetValue(system),
                DefaultMaxTokens = parse.GetValue(maxTokens), IgnoreEos = parse.GetValue(ignoreEos), Runtime = runtime.Read(parse),
                PromptCache = parse.GetValue(promptCache),
            };
            SettingException.ThrowIfAny(settings.Problems());
            if (!System.Net.IPAddress.TryParse(settings.Host == "localhost" ? "127.0.0.1" : settings.Host, out _))
                throw new SettingException("host", $"'{settings.Host}' is not an IP address (e.g. 127.0.0.1, 0.0.0.0, ::1)");
            var loras = parse.GetValue(lora) ?? [];
            var named = new Dictionary<string, Engine.Models.LoraSpec>(StringComparer.Ordinal);
            foreach (var value in loras.Where(IsNamed))
            {
                string name = value[..value.IndexOf('=')];
                if (!named.TryAdd(name, Engine.Models.LoraSpec.Parse(value[(name.Length + 1)..])))
                    throw new SettingException("lora", $"the adapter name '{name}' is given twice");
            }
            var spec = runtime.Model(parse, parse.GetValue(model)!, loras.Where(l => !IsNamed(l)));
            if (named.ContainsKey(Path.GetFileNameWithoutExtension(spec.Path)))
                throw new SettingException("lora", $"'{Path.GetFileNameWithoutExtension(spec.Path)}' is the base model's name; give the adapter another");
            Engine.Models.ModelFiles.CheckModel(spec.Path, "model");
            foreach (var l in spec.Loras.Concat(named.Values)) Engine.Models.ModelFiles.CheckAdapter(l.Path);
            var server = new ServeHost(spec, settings, named);
            try { return await server.RunAsync(line => Console.Error.WriteLine(line), ct); }
            catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
            {
                throw new SettingException("port", $"cannot listen on {settings.Host}:{settings.Port}: {e.Message}");
            }
        });
        return cmd;
    }

    /// <summary>NAME=PATH, with a name of letters, digits, '.', '_' or '-' (a path could hold '=' too).</summary>
    private static bool IsNamed(string value) =>
        value.IndexOf('=') is > 0 and var at && value[..at].All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
