using CimiGrains.Benchmarks.LoadGenerator;

// Two commands: 'seed' fills the demo tenant with Machines and captures reference documents;
// 'run' drives the scenarios in alternating rounds and prints the medians.
return args switch
{
    ["seed", .. var rest] => await Seeder.RunAsync(CommandLine.Parse(rest)),
    ["run", .. var rest] => await LoadRunner.RunAsync(CommandLine.Parse(rest)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: LoadGenerator seed --base URL --user USER:PASSWORD --count N [--concurrency 16] [--out DIR]
               LoadGenerator run  --scenario NAME=URL[,anon][,status=CODE][,vs=NAME] ... [--user USER:PASSWORD]
                                  [--ids FILE] [--concurrency 32] [--warmup S] [--duration S] [--max-requests N]
                                  [--rounds N] [--markdown FILE]
        Every URL must be on 127.0.0.1: this tool never sends anything elsewhere.
        """);
    return 2;
}
