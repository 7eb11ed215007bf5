using CimiGrains.Machines;
using CimiGrains.Meters;

namespace CimiGrains.Gateway.Hosting;

public sealed partial class StartupSeeder
{
    /// <summary>Local id of the demo tenant's Meter resources and of the MachineTemplate that uses them.</summary>
    public const string DemoMetered = "demo-metered";

    /// <summary>
    /// The demo's Meters (README, "Meters"): MeterConfigurations of CPU utilisation (an alarm above 80 %,
    /// cleared at or below 50 %) and memory in use, their MeterTemplates, and a MachineTemplate of the demo
    /// container that names both, so a Machine made from it is metered from its creation.
    /// </summary>
    private async Task EnsureDemoMeters()
    {
        await Ensure<MeterConfiguration, IMeterConfigurationGrain>("cpu", new MeterConfiguration
        {
            Name = "cpu", Description = "CPU utilisation each second, in percent of one host CPU; an alarm above 80 %",
            AssociatedTo = ["Machine"], Aspect = MeterAspect.CpuUtilization.Uri, SampleInterval = 1, TimeScope = "Point",
            IntervalDuration = "PT1M", IsContinuous = true, AlarmThreshold = "80", AlarmClearThreshold = "50",
        });
        await Ensure<MeterConfiguration, IMeterConfigurationGrain>("memory", new MeterConfiguration
        {
            Name = "memory", Description = "Memory in use each second, in bytes", AssociatedTo = ["Machine"],
            Aspect = MeterAspect.MemoryUsed.Uri, SampleInterval = 1, TimeScope = "Point", IntervalDuration = "PT1M", IsContinuous = true,
        });
        foreach (var name in (string[])["cpu", "memory"])
        {
            await Ensure<MeterTemplate, IMeterTemplateGrain>(name, new MeterTemplate
            {
                Name = name, Description = $"The {name} Meter of a Machine",
                MeterConfig = new MeterConfiguration { Href = MeterConfigurationRegistration.Type.Kind.IdOf(name) },
            });
        }
        await Ensure<MachineTemplate, IMachineTemplateGrain>(DemoMetered, new MachineTemplate
        {
            Name = DemoMetered, Description = "The demo container with CPU and memory Meters",
            MachineConfig = new MachineConfiguration { Href = ResourceKind.MachineConfiguration.IdOf("small") },
            MachineImage = new MachineImage { Href = ResourceKind.MachineImage.IdOf("demo") },
            MeterTemplates =
            [
                new MeterTemplate { Href = MeterTemplateRegistration.Type.Kind.IdOf("cpu") },
                new MeterTemplate { Href = MeterTemplateRegistration.Type.Kind.IdOf("memory") },
            ],
        });
    }
}
