namespace Merlinite.Synth;

/// <summary>
/// The hand-written word list the base vocabulary's merged pieces are learned from. Earlier words weigh more in the
/// pair counting (so common words like "the" get their merges first). Digits are never merged (numbers tokenize digit
/// by digit, as in Llama/Mistral), and punctuation stays single characters.
/// Changing this list changes every synthesized vocabulary: treat it as a versioned format.
/// </summary>
internal static class VocabularyWords
{
    /// <summary>Lower-case words; each is learned both as "▁word" (after a space) and "word" (line start).</summary>
    public static readonly string[] Words =
    [
        // function words
        "the", "a", "and", "to", "of", "is", "in", "it", "you", "that", "for", "on", "are", "with", "as", "be",
        "this", "was", "not", "or", "by", "an", "at", "from", "can", "do", "does", "if", "then", "than", "all",
        "each", "what", "which", "how", "why", "who", "your", "my", "me", "we", "they", "have", "has", "will",
        "should", "would", "could", "there", "here", "one", "only", "also", "more", "most", "into", "out", "up",
        "so", "no", "yes", "but", "about", "after", "before", "same", "other",
        // chat
        "hello", "hi", "please", "thank", "thanks", "sure", "sorry", "help", "helpful", "user", "assistant",
        "system", "question", "answer", "ok", "okay", "good", "bad", "right", "wrong", "correct", "true", "false",
        // numbers
        "zero", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "hundred", "thousand", "number", "numbers", "digit", "digits", "plus", "minus", "times", "equals",
        "sum", "total", "even", "odd", "greater", "less", "larger", "smaller", "largest", "smallest",
        // instruction tasks
        "reverse", "reversed", "sort", "sorted", "add", "list", "count", "word", "words", "letter", "letters",
        "sentence", "string", "text", "order", "ascending", "descending", "alphabetical", "first", "last",
        "next", "repeat", "copy", "uppercase", "lowercase", "vowel", "vowels", "result", "output", "input",
        "example", "task", "give", "write", "return", "following", "item", "items", "character", "characters",
        "length", "name", "names", "find", "make", "use", "using", "remove", "replace", "every", "many", "long",
        "short", "step", "solve", "calculate", "compute",
        // -ing and friends
        "sorting", "adding", "counting", "reversing", "thinking", "writing", "nothing", "something", "thing",
        "things",
        // small open-class set
        "world", "color", "red", "green", "blue", "yellow", "black", "white", "cat", "dog", "bird", "fish",
        "apple", "banana", "orange", "day", "time", "year", "water", "house", "book",
    ];

    /// <summary>Capitalized forms learned as well (sentence starts).</summary>
    public static readonly string[] Capitalized =
    [
        "The", "What", "How", "Sure", "Here", "Yes", "No", "Please", "Hello", "Reverse", "Sort", "Add", "List",
        "Count", "Answer", "Write", "Give", "Thank", "It", "This", "I",
    ];
}
