using Merlinite.Trainer.Data;
using Merlinite.Trainer.Training;

namespace Merlinite.Trainer.Tests;

public class ScheduleAndPlanTests
{
    [Fact]
    public void Learning_rate_warms_up_linearly_then_decays_by_cosine_towards_zero()
    {
        const double peak = 1e-3;
        // A few double operations per value: 12 places is 10^4 × 2^-53 of these magnitudes. The last step of the decay
        // is peak·(1 + cos(15π/16))/2 = 0.0096·peak.
        Assert.Equal(peak / 4, LearningRateSchedule.At(0, 20, 4, peak), 12);
        Assert.Equal(peak, LearningRateSchedule.At(3, 20, 4, peak), 12);
        Assert.Equal(peak, LearningRateSchedule.At(4, 20, 4, peak), 12);           // cosine starts at the peak
        Assert.Equal(peak / 2, LearningRateSchedule.At(12, 20, 4, peak), 12);      // half way through the decay
        Assert.InRange(LearningRateSchedule.At(19, 20, 4, peak), 0, peak * 0.01);
        Assert.Equal(peak, LearningRateSchedule.At(0, 10, 0, peak), 12);           // no warmup
    }

    [Fact]
    public void Every_epoch_visits_each_example_once_in_a_seed_driven_order()
    {
        var plan = new TrainingPlan(exampleCount: 11, batchSize: 2, gradAccum: 2, epochs: 3, maxSteps: null, seed: 5);
        Assert.Equal(3, plan.StepsPerEpoch);       // 4 + 4 + 3 examples
        Assert.Equal(9, plan.TotalSteps);
        var epochs = Enumerable.Range(0, 3)
            .Select(e => Enumerable.Range(e * 3, 3).SelectMany(s => plan.MicroBatches(s).SelectMany(b => b)).ToArray())
            .ToList();
        foreach (var epoch in epochs) Assert.Equal(Enumerable.Range(0, 11), epoch.Order());
        Assert.NotEqual(epochs[0], epochs[1]);      // reshuffled each epoch
        Assert.Equal([2, 2], plan.MicroBatches(0).Select(b => b.Length));
        Assert.Equal([2, 1], plan.MicroBatches(2).Select(b => b.Length)); // the epoch's short last step

        // The same step of a fresh plan (a resumed run) holds the same examples.
        var again = new TrainingPlan(11, 2, 2, 3, null, seed: 5);
        Assert.Equal(plan.MicroBatches(7), again.MicroBatches(7));
        Assert.NotEqual(plan.MicroBatches(0).SelectMany(b => b), new TrainingPlan(11, 2, 2, 3, null, seed: 6).MicroBatches(0).SelectMany(b => b));
    }

    [Fact]
    public void Max_steps_alone_runs_as_many_epochs_as_needed_and_caps_epochs_when_both_are_given()
    {
        Assert.Equal(10, new TrainingPlan(4, 1, 1, epochs: null, maxSteps: 10, seed: 0).TotalSteps);
        Assert.Equal(6, new TrainingPlan(4, 1, 1, epochs: 5, maxSteps: 6, seed: 0).TotalSteps);
        Assert.Equal(8, new TrainingPlan(4, 1, 1, epochs: 2, maxSteps: 100, seed: 0).TotalSteps);
        Assert.Equal(4, new TrainingPlan(4, 1, 1, epochs: null, maxSteps: null, seed: 0).TotalSteps);
    }
}
