namespace CimiGrains.Jobs;

/// <summary>What a Job with nested Jobs does when one of them does not succeed.</summary>
[GenerateSerializer]
public enum NestedJobFailure
{
    /// <summary>The parent fails at once, with the nested Job's message (the default).</summary>
    FailParent,

    /// <summary>The parent runs on until every nested Job has finished, then succeeds, naming those that failed.</summary>
    Continue,

    /// <summary>Its owner finishes it (a System, which rolls back or counts the outcome first); the nested Jobs
    /// only move it to RUNNING and its progress on.</summary>
    Owner,
}
