namespace Merlinite.Trainer.Training;

/// <summary>Linear warmup to the peak over the first steps, then cosine decay towards 0 over the rest.</summary>
public static class LearningRateSchedule
{
    /// <summary>The learning rate of 0-based step <paramref name="step"/> out of <paramref name="totalSteps"/>.</summary>
    public static double At(int step, int totalSteps, int warmupSteps, double peak)
    {
        // (step + 1) rather than step: the first step already learns instead of running at lr 0.
        if (step < warmupSteps) return peak * (step + 1) / warmupSteps;
        double progress = (double)(step - warmupSteps) / Math.Max(1, totalSteps - warmupSteps);
        return peak * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
