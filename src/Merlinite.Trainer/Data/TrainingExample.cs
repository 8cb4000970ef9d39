namespace Merlinite.Trainer.Data;

/// <summary>
/// One training sequence. <see cref="Mask"/>[t] says whether token t is trained on, i.e. whether the loss includes the
/// prediction of token t from tokens 0..t-1 (so the mask of token 0, which nothing predicts, is never used).
/// </summary>
/// <param name="Line">1-based line in the data file, for messages.</param>
public sealed record TrainingExample(int[] Tokens, bool[] Mask, int Line)
{
    /// <summary>Tokens the loss covers: masked tokens after the first.</summary>
    public int LossTokenCount { get; } = Mask.Skip(1).Count(m => m);
}
