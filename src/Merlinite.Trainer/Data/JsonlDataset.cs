using System.Text.Json;

namespace Merlinite.Trainer.Data;

/// <summary>
/// Reads and validates the training file: one JSON object per line, <c>{"tokens":[int...], "mask":[0/1...]}</c>.
/// Every problem is a <see cref="TrainerException"/> naming the file and line, before any training starts.
/// </summary>
public static class JsonlDataset
{
    /// <param name="vocabSize">Tokens must lie in [0, vocabSize).</param>
    /// <param name="maxLength">The longest allowed example (--max-seq-len, capped by the model's context).</param>
    /// <param name="maxLengthSource">What imposes <paramref name="maxLength"/>, for the message.</param>
    public static IReadOnlyList<TrainingExample> Load(string path, int vocabSize, int maxLength, string maxLengthSource)
    {
        if (!File.Exists(path)) throw new TrainerException($"{path}: data file not found");
        var examples = new List<TrainingExample>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue; // a trailing newline or blank separator is not an example
            examples.Add(Parse(line, $"{path}:{lineNumber}", lineNumber, vocabSize, maxLength, maxLengthSource));
        }
        if (examples.Count == 0) throw new TrainerException($"{path}: the dataset is empty (no JSON lines)");
        return examples;
    }

    private static TrainingExample Parse(string line, string where, int lineNumber, int vocabSize, int maxLength, string maxLengthSource)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new TrainerException($"{where}: malformed JSON ({e.Message})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new TrainerException($"{where}: expected a JSON object with \"tokens\" and \"mask\"");
            int[] tokens = IntArray(root, "tokens", where);
            int[] mask = IntArray(root, "mask", where);

            if (tokens.Length < 2) throw new TrainerException($"{where}: needs at least 2 tokens (got {tokens.Length})");
            if (mask.Length != tokens.Length)
                throw new TrainerException($"{where}: mask has {mask.Length} entries but tokens has {tokens.Length}");
            if (tokens.Length > maxLength)
                throw new TrainerException($"{where}: example has {tokens.Length} tokens, longer than {maxLengthSource} ({maxLength})");
            for (int i = 0; i < tokens.Length; i++)
            {
                if ((uint)tokens[i] >= (uint)vocabSize)
                    throw new TrainerException($"{where}: token {tokens[i]} at index {i} is outside the vocabulary (0..{vocabSize - 1})");
                if (mask[i] is not (0 or 1))
                    throw new TrainerException($"{where}: mask values must be 0 or 1 (got {mask[i]} at index {i})");
            }
            var example = new TrainingExample(tokens, mask.Select(m => m == 1).ToArray(), lineNumber);
            if (example.LossTokenCount == 0)
                throw new TrainerException($"{where}: no token after the first has mask 1, so nothing would be learned from it");
            return example;
        }
    }

    private static int[] IntArray(JsonElement root, string name, string where)
    {
        if (!root.TryGetProperty(name, out var array)) throw new TrainerException($"{where}: missing \"{name}\"");
        if (array.ValueKind != JsonValueKind.Array) throw new TrainerException($"{where}: \"{name}\" must be an array of integers");
        var result = new int[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out result[i]))
                throw new TrainerException($"{where}: \"{name}\"[{i}] is not an integer ({item.GetRawText()})");
            i++;
        }
        return result;
    }
}
