using CimiGrains.Grains.Machines;
using CimiGrains.Machines;

namespace CimiGrains.Tests.Grains;

public sealed class MachineTransitionsTests
{
    [Theory]
    [InlineData(MachineStateName.STOPPED, MachineAction.Start, MachineStateName.STARTING)]
    [InlineData(MachineStateName.STARTED, MachineAction.Stop, MachineStateName.STOPPING)]
    [InlineData(MachineStateName.STARTED, MachineAction.Pause, MachineStateName.PAUSING)]
    [InlineData(MachineStateName.STARTED, MachineAction.Suspend, MachineStateName.SUSPENDING)]
    [InlineData(MachineStateName.PAUSED, MachineAction.Start, MachineStateName.STARTING)]
    [InlineData(MachineStateName.SUSPENDED, MachineAction.Start, MachineStateName.STARTING)]
    [InlineData(MachineStateName.STOPPING, MachineAction.Stop, MachineStateName.STOPPING)]
    [InlineData(MachineStateName.ERROR, MachineAction.Restart, MachineStateName.STARTING)]
    public void Allowed_actions_enter_their_transitional_state(MachineStateName from, MachineAction action, MachineStateName expected) =>
        Assert.Equal(expected, MachineTransitions.TryEnter(from, action));

    [Theory]
    [InlineData(MachineStateName.STOPPED, MachineAction.Stop)]
    [InlineData(MachineStateName.STOPPED, MachineAction.Pause)]
    [InlineData(MachineStateName.STARTED, MachineAction.Start)]
    [InlineData(MachineStateName.CREATING, MachineAction.Start)]
    [InlineData(MachineStateName.DELETING, MachineAction.Stop)]
    [InlineData(MachineStateName.SUSPENDED, MachineAction.Pause)]
    [InlineData(MachineStateName.FAILED, MachineAction.Start)]
    public void Other_actions_are_refused(MachineStateName from, MachineAction action) =>
        Assert.Null(MachineTransitions.TryEnter(from, action));

    [Fact]
    public void Transitional_states_settle_where_the_spec_says_and_capture_returns_to_where_it_started()
    {
        Assert.Equal(MachineStateName.STARTED, MachineTransitions.Settled(MachineStateName.STARTING, MachineStateName.STOPPED));
        Assert.Equal(MachineStateName.STOPPED, MachineTransitions.Settled(MachineStateName.STOPPING, MachineStateName.STARTED));
        Assert.Equal(MachineStateName.PAUSED, MachineTransitions.Settled(MachineStateName.PAUSING, MachineStateName.STARTED));
        Assert.Equal(MachineStateName.STARTED, MachineTransitions.Settled(MachineStateName.CAPTURING, MachineStateName.STARTED));
    }

    [Fact]
    public void Delete_is_refused_only_while_deleting()
    {
        foreach (var state in Enum.GetValues<MachineStateName>())
            Assert.Equal(state != MachineStateName.DELETING, MachineTransitions.CanDelete(state));
    }
}
