using Serving.Execution;

namespace Serving.Tests.Execution;

public sealed class LowPriorityThreadTests
{
    [Fact]
    public void The_work_runs_at_nice_19_on_a_thread_of_its_own_and_the_caller_keeps_its_priority()
    {
        var callerNice = LowPriorityThread.CurrentNice();
        var callerThread = Environment.CurrentManagedThreadId;
        int? workNice = null;
        int? workThread = null;

        LowPriorityThread.Run(() => (workNice, workThread) = (LowPriorityThread.CurrentNice(), Environment.CurrentManagedThreadId), "test-low");

        Assert.NotEqual(callerThread, workThread);
        Assert.Equal(OperatingSystem.IsLinux() ? 19 : 0, workNice);
        Assert.Equal(callerNice, LowPriorityThread.CurrentNice());
    }

    [Fact]
    public void A_failure_of_the_work_is_thrown_to_the_caller()
    {
        var thrown = Assert.Throws<InvalidOperationException>(() => LowPriorityThread.Run(() => throw new InvalidOperationException("session failed"), "test-low"));
        Assert.Equal("session failed", thrown.Message);
    }
}
