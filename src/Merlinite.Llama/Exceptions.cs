namespace Merlinite.Llama;

/// <summary>Base of the exceptions this binding throws for llama.cpp failures.</summary>
public class LlamaException : Exception
{
    public LlamaException(string message) : base(message) { }
    public LlamaException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>The llama.cpp libraries are missing, cannot be loaded, or do not match the v0.5.0 ABI.</summary>
public sealed class LlamaLibraryException : LlamaException
{
    public LlamaLibraryException(string message) : base(message) { }
    public LlamaLibraryException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>A model (or adapter) file could not be loaded. <see cref="Path"/> names the file.</summary>
public sealed class LlamaModelLoadException : LlamaException
{
    public string Path { get; }
    public LlamaModelLoadException(string path, string message, Exception? inner = null) : base(message, inner) => Path = path;
}
