using System.Text.RegularExpressions;
using Merlinite.Engine.Outputs;
using Merlinite.Engine.Settings;

namespace Merlinite.Cli.Infrastructure;

/// <summary>The Engine's messages about settings and outputs, told in the command line's words (flags).</summary>
public static class Messages
{
    public static string Setting(SettingProblem p)
    {
        string text = p.Render(Flags.Of);
        return text.StartsWith("must", StringComparison.Ordinal) ? $"{Flags.Of(p.Key)} {text}" : $"{Flags.Of(p.Key)}: {text}";
    }

    public static string Stale(StaleOutputException e)
    {
        var o = e.Output;
        string outFlag = Flags.Of(o.SettingKey);
        const string restart = "use --restart to recompute it";
        if (e.Check.Difference is not { } d)
            return $"{o.Path} exists but nothing records that merlinite {e.Job} made it ({Path.GetFileName(o.MetaPath)} is missing); {restart}, or another {outFlag}";
        string made = d.Key switch
        {
            "job" => $"was written by merlinite {d.Then}, not {d.Now}",
            Fingerprint.ToolKey => $"was made by merlinite {d.Then}; this is merlinite {d.Now}",
            Fingerprint.LlamaKey => $"was made with llama.cpp {d.Then}; this is llama.cpp {d.Now}",
            _ when d.Now == Fingerprint.NoSuchSetting =>
                $"was made with a setting this version no longer has ({d.Key} {d.Then})",
            _ when d.Then == Fingerprint.NotRecorded => $"was made before {Flags.Of(d.Key)} was recorded (now {d.Now})",
            _ => $"was made with {Flags.Of(d.Key)} {d.Then}, not {d.Now}",
        };
        return e.Check.PartialOnly
            ? $"{o.PartialPath} is an unfinished run that {made}; rerun with the same settings to resume it, {restart} from the start, or use another {outFlag}"
            : $"{o.Path} {made}; {restart}, or use another {outFlag}";
    }

    public static string OutputPath(OutputPathException e)
    {
        string place = $"{Flags.Of(e.Output.SettingKey)} {e.Output.Path}";
        if (e.InputKey is not { } key) return $"{place}: {e.Problem}";
        string how = e.Written == e.Output.Path && e.InputPath == e.Output.Path ? ""
            : e.Written == e.Output.Path ? $" {e.InputPath} (the same file through a link)"
            : $" {e.InputPath} (merlinite writes {e.Written} while working)";
        return $"{place}: is also the {Flags.Of(key)} file{how}; writing it would destroy that input: " +
               $"give {Flags.Of(e.Output.SettingKey)} another path";
    }

    /// <summary>System.CommandLine's parse errors in the user's words: a value that does not convert names the kind of
    /// value wanted, not a .NET type ("'abc' is not a whole number (--seed)").</summary>
    public static string Parse(string message)
    {
        var missing = Regex.Match(message, "^Required argument missing for option: '(?<name>[^']*)'");
        if (missing.Success) return $"{missing.Groups["name"].Value} needs a value";
        var m = Regex.Match(message, "^Cannot parse argument '(?<value>.*)' for (option|command) '(?<name>[^']*)' " +
                                     "as expected type '(?<type>[^']*)'");
        if (!m.Success) return message;
        string type = m.Groups["type"].Value.TrimEnd('?').Replace("System.Nullable`1[", "").TrimEnd(']');
        string wanted = type switch
        {
            "System.Byte" or "System.UInt16" or "System.UInt32" or "System.UInt64" => "a whole number of 0 or more",
            "System.Int16" or "System.Int32" or "System.Int64" => "a whole number",
            "System.Single" or "System.Double" or "System.Decimal" => "a number",
            "System.Boolean" => "true or false",
            _ => "a valid value",
        };
        return $"'{m.Groups["value"].Value}' is not {wanted} ({m.Groups["name"].Value})";
    }
}
