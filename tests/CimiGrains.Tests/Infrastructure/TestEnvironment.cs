namespace CimiGrains.Tests.Infrastructure;

/// <summary>Where the services the tests need are; ./test.sh starts them and sets these variables.</summary>
public static class TestEnvironment
{
    /// <summary>Connection string of the test PostgreSQL server's maintenance database.</summary>
    public static string PostgresAdmin =>
        Environment.GetEnvironmentVariable("CIMI_TEST_POSTGRES") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException(
                "CIMI_TEST_POSTGRES is not set: run the tests with ./test.sh, which starts PostgreSQL for them.");

    /// <summary>The repository root (the folder holding CimiGrains.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The build configuration the tests were built in (Debug or Release).</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CimiGrains.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find CimiGrains.sln above " + AppContext.BaseDirectory);
    }
}
