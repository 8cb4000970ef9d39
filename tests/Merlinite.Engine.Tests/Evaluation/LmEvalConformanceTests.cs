using System.Security.Cryptography;
using System.Text;
using Merlinite.Engine.Chat;
using Merlinite.Engine.Evaluation;

namespace Merlinite.Engine.Tests.Evaluation;

/// <summary>
/// For the real rows in ../shared/data/lmeval (see its SOURCES.md), every question's context and continuation strings,
/// after lm-eval's <c>_encode_pair</c> whitespace move, equal those lm-eval builds with its task yamls and the
/// lm_eval sampler (first_n for MMLU, <c>random.Random(1234).sample</c> with k + 1 draws where its few-shot split is
/// its test split). The expected shot rows and SHA-256 prefixes (of each option's context + U+0001 + continuation +
/// U+0002, UTF-8) were produced by a small Python reimplementation of lm-eval's framing run on CPython 3.11.7 (its
/// own <c>random</c> module), not committed; hashes keep the rows' text out of the repository.
/// </summary>
public class LmEvalConformanceTests
{
    internal static readonly string? Dir = SharedData.Folder("lmeval");

    // Raw framing never reaches the tokenizer (only a chat template or tokenizing does).
    private static readonly EvalPrompts Raw = new(null!, ChatTemplate.Raw, null);

    [SharedDataTheory("lmeval")]
    [InlineData("mmlu", "mmlu-test.jsonl", "mmlu-dev.jsonl", 0,
        "- - - - - -",
        "ac853053b100639d 5a946263ea97d1f8 39f52302e2388f3c f9c91d2044e6ff24 bea068d08b82e929 8c860764accab286")]
    [InlineData("mmlu", "mmlu-test.jsonl", "mmlu-dev.jsonl", 3,
        "0,1,2 0,1,2 3,4,5 3,4,5 6,7,8 6,7,8",
        "3d6e18174d062fb6 fe501e3e6813251f a687ae2706451dfd 39e2b354e2c62288 d7bfcd2a51a7f4f3 46a3b050844f6ca7")]
    [InlineData("arc", "arc-test.jsonl", "arc-train.jsonl", 0,
        "- - - - - -",
        "139fcbfc9a9e5cae d6e72a9083ebaac1 6d2de8a1a042549a 7292c63365d3f384 5cc971a2d75ea349 7cc66a5b3e0d1c89")]
    [InlineData("arc", "arc-test.jsonl", "arc-train.jsonl", 3,
        "1,0,2 0,2,1 0,1,2 0,2,1 1,2,0 0,2,1",
        "922436b577f859e0 937f3ee3b696f847 a32f1eed2bf54634 512f65711ba49389 2ed0d8ba53c97e03 0a8592970cfdfda7")]
    [InlineData("arc", "arc-test.jsonl", null, 2, // shots from the test split itself: 3 drawn, the question left out
        "3,4 0,4 5,0 2,1 0,5 4,3",
        "c5e3791cbf49877f 3cff4b28e5398736 3ccb5a108ab465da 096b418cc06a41fc 60bd5a5c7dacdd85 f37cd548b76de659")]
    [InlineData("hellaswag", "hellaswag-val.jsonl", "hellaswag-train.jsonl", 0,
        "- - - - - -",
        "a1102249adf6dde9 6d6b3b2964652c27 708624221f235be7 68de5115d7e96fc0 f1466d8fee10cb68 12116bb0c57ea207")]
    [InlineData("hellaswag", "hellaswag-val.jsonl", "hellaswag-train.jsonl", 2,
        "1,0 0,2 0,1 0,2 1,2 0,2",
        "5bbc2c0c9b6e49ed 64803a4815f05b4f fab56fdfd549f346 a41bed2205436231 f2bed2c2cc60958b 73cb94894b0654cc")]
    [InlineData("hellaswag", "hellaswag-val.jsonl", null, 2,
        "3,4 0,4 5,0 2,1 0,5 4,3",
        "e4ba3090a42a9b47 b096e215d6543775 3dad5631f42b2ec2 44bb90deaa3fc1b8 02b98a8cf886e0d3 4119f3f1bc3cc38f")]
    [InlineData("winogrande", "winogrande-val.jsonl", "winogrande-train.jsonl", 0,
        "- - - - - -",
        "9848fbc0b82e4851 d10677351f2974d8 5cc6e32b2df1c223 ae081869475315f6 ffd1ab18e9c58e16 53e6be7a7883a7c6")]
    [InlineData("winogrande", "winogrande-val.jsonl", "winogrande-train.jsonl", 2,
        "1,0 0,2 0,1 0,2 1,2 0,2",
        "06841a8ec03c8abf 75bd475e04f81549 531d1565bc7bedc7 bb7e5fe472f89f9a 01aa880fe2d93074 5afc9458740a1bde")]
    [InlineData("gsm8k", "gsm8k-test.jsonl", "gsm8k-train.jsonl", 0,
        "- - - - - -",
        "be22838082dc206a f5200c5bddd584dc 492717c18718a5c9 006ab2e0d4d2df52 e0623fc806111271 999a25b6fd7f3c4e")]
    [InlineData("gsm8k", "gsm8k-test.jsonl", "gsm8k-train.jsonl", 3,
        "1,0,2 0,2,1 0,1,2 0,2,1 1,2,0 0,2,1",
        "a3e5ce47e6eb4de4 b6bc3aa33cb3ce83 70f052f2585aeb12 0a54a87ea5e52463 84931bc1fe2473c3 227178e79078137c")]
    [InlineData("gsm8k", "gsm8k-test.jsonl", null, 3,
        "3,4,5 4,0,5 1,0,3 0,2,4 3,1,0 0,4,2",
        "47e293a33d6f9b92 04264ce9deaab7be 97c218bc7c801048 fd38929f68c63143 489acf9f7faca6f6 030f3e445d882e1a")]
    public void Contexts_and_continuations_equal_lm_evals(string kindName, string test, string? shots, int k,
        string wantShots, string wantHashes)
    {
        var kind = EvalKinds.Parse(kindName);
        string data = Path.Combine(Dir!, test), pool = Path.Combine(Dir!, shots ?? test);
        var plan = ShotPlan.For(kind, k, ShotSampler.LmEval, poolIsData: shots is null);
        List<List<(string Context, string Continuation)>> texts;
        List<string> picked;
        if (kind == EvalKind.Gsm8k)
        {
            var problems = EvalData.ReadMath(data);
            var rows = EvalData.ReadMath(pool);
            // Generation tokenizes the context alone: no continuation, no whitespace move.
            texts = MathEvaluator.Contexts(Raw, problems, rows, pool, plan)
                .Select(c => new List<(string, string)> { (c, "") }).ToList();
            picked = Shots(problems, rows, pool, plan, _ => null);
        }
        else
        {
            var questions = EvalData.ReadChoices(kind, data);
            var rows = EvalData.ReadChoices(kind, pool);
            texts = ChoiceEvaluator.Texts(Raw, questions, rows, pool, plan)
                .Select(q => q.Select(o => EvalPrompts.EncodePair(o.Context, o.Continuation)).ToList()).ToList();
            picked = Shots(questions, rows, pool, plan, q => q.Subject);
        }
        Assert.Equal(wantShots, string.Join(' ', picked));
        Assert.Equal(wantHashes, string.Join(' ', texts.Select(Hash)));
    }

    /// <summary>Each question's examples as row numbers of the shots file (0-based), "-" for none.</summary>
    private static List<string> Shots<T>(IReadOnlyList<T> questions, IReadOnlyList<T> rows, string pool, ShotPlan plan,
        Func<T, string?> subject) where T : class
    {
        var shots = new FewShot<T>(rows, pool, plan, subject);
        var rowList = rows.ToList();
        return questions
            .Select((q, i) => shots.Pick(i, q).Select(s => rowList.FindIndex(r => ReferenceEquals(r, s))).ToList())
            .Select(ix => ix.Count == 0 ? "-" : string.Join(',', ix)).ToList();
    }

    private static string Hash(List<(string Context, string Continuation)> options)
    {
        string text = string.Concat(options.Select(o => o.Context + "\u0001" + o.Continuation + "\u0002"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}
