using System.Globalization;
using System.Text.Json.Nodes;
using CimiGrains.Gateway.Resources;
using CimiGrains.Grains.Meters;
using CimiGrains.Meters;
using CimiGrains.ReadModel;
using Microsoft.Extensions.Options;

namespace CimiGrains.Gateway.Meters;

/// <summary>
/// Meters are created from a MeterCreate and started and stopped by Actions (answered with the Meter:
/// nothing waits on a host); their samples are read from the samples table. MeterConfigurations and
/// MeterTemplates are plain types, and a Meter's list, read, edit and delete are generated from its
/// registration (Resources/RegisteredTypesApi). A resource's <c>meters</c> collection lists its Meters.
/// </summary>
public static class MeterApi
{
    private static CimiType MeterType => CimiTypes.Of(MeterRegistration.Type);

    public static RouteGroupBuilder MapMeterApi(this RouteGroupBuilder cimi)
    {
        var type = MeterType;
        var meters = $"/{type.Kind.CollectionSegment}";
        cimi.MapPost(meters, async (CimiRequest request) =>
        {
            var create = await ResourceCollectionApi.ReadCreateAsync<MeterCreate>(request, "MeterCreate");
            return request.Created(await request.Grain<IMeterGrain>(CimiRequest.NewLocalId()).CreateFrom(create), type);
        });
        cimi.MapPost(meters + "/{id}", async (string id, CimiRequest request) =>
        {
            var grain = request.Grain<IMeterGrain>(id);
            // Another tenant's Meter (or none) is a 404 whatever the body says.
            await grain.Get();
            var meter = ParseAction(await CimiRequestReader.ReadDocumentAsync(request.Http, "Action")) switch
            {
                "start" => await grain.Start(),
                _ => await grain.Stop(),
            };
            return request.Document(StatusCodes.Status200OK, meter, type);
        });
        cimi.MapGet(meters + "/{id}/" + MeterRegistration.SamplesSegment, SamplesAsync);
        // The meters of every resource type that offers an aspect (machines/{id}/meters).
        foreach (var offering in CimiTypeRegistry.All.Where(t => MeterAspect.OfferedBy(t.TypeName).Any()))
        {
            var segment = offering.Kind.CollectionSegment;
            cimi.MapGet($"/{segment}/{{id}}/{MeterRegistration.MetersSegment}", (string id, CimiRequest request, IResourceReader readModel, CancellationToken ct) =>
                MetersOfAsync(request, offering.Kind.IdOf(CimiRequest.CheckedLocalId(id)), readModel, ct));
        }
        return cimi;
    }

    /// <summary>An Action document naming start or stop (the URI, or the bare name); anything else is a 400.</summary>
    private static string ParseAction(JsonObject body)
    {
        if (!body.TryGetPropertyValue("action", out var node) || node is not JsonValue v || !v.TryGetValue<string>(out var uri))
            throw CimiRequestException.BadRequest("An Action needs an 'action' URI: http://schemas.dmtf.org/cimi/1/action/start or …/stop.");
        var name = uri.StartsWith(CimiUris.ActionPrefix, StringComparison.Ordinal) ? uri[CimiUris.ActionPrefix.Length..] : uri;
        if (name is not ("start" or "stop")) throw CimiRequestException.BadRequest($"'{uri}' is not a Meter action; use …/action/start or …/action/stop.");
        foreach (var key in body.Select(p => p.Key))
        {
            if (key is not ("action" or "resourceURI")) throw CimiRequestException.BadRequest($"'{key}' is not a parameter of the '{name}' action.");
        }
        return name;
    }

    private static async Task<CimiResult> SamplesAsync(string id, CimiRequest request, SampleStore store, IOptions<MeterSampleOptions> options,
        TimeProvider clock, CancellationToken ct)
    {
        var query = SampleQuery.Parse(request.Http);
        // The Meter is read through its tenant's grain: another tenant's Meter is a 404 here as everywhere.
        var meter = await request.Grain<IMeterGrain>(id).Get();
        var aspect = MeterAspect.ForUri(meter.Aspect)!;
        var interval = IntervalOf(query, meter, options.Value.SamplingPeriodSeconds);
        var now = clock.GetUtcNow();
        var end = meter.StopTime is { } stop && stop < now ? stop : now.AddSeconds(1);
        // Meters of one target and aspect share its series: a range may reach back before this Meter was made.
        var from = query.From ?? meter.Created!.Value;
        var to = query.To is { } t && t < end ? t : end;
        var take = Math.Max(0, query.Last - query.First + 1);
        // The periods the Meter was stopped: its target's series went on, the Meter's did not.
        IReadOnlyList<(DateTimeOffset, DateTimeOffset)> stopped = [.. (meter.StoppedPeriods ?? []).Select(p => (p.From, p.To ?? to))];
        var target = meter.TargetResource!.Href;
        SamplePage page;
        if (from >= to || take <= 0) page = new SamplePage([], 0);
        else if (await AggregateTargets.MembersAsync(request.Grains, request.TenantId, target) is { } members)
            page = await store.QuerySumAsync(request.TenantId, members, aspect.Name, from, to, interval,
                TimeSpan.FromSeconds(options.Value.SamplingPeriodSeconds), query.First - 1, take, ct, stopped);
        else page = await store.QueryAsync(request.TenantId, target, aspect.Name, from, to, interval, query.First - 1, take, ct, stopped);
        var aggregated = query.Aggregate is not null;
        var samples = page.Intervals.Select(i => CimiDocuments.FromRecord(new MeterSample { Sample = Reading(i, aggregated) },
            CimiDescriptors.ByTypeName("Sample")!, request.BaseUri));
        var collectionId = MeterRegistration.SamplesOf(meter.Id!);
        var document = CimiDocuments.Collection(CimiUris.TypeUri("SampleCollection"), request.BaseUri.Absolute(collectionId), "samples",
            page.Total, samples, canAdd: false);
        return new CimiResult(StatusCodes.Status200OK, document, "Sample", isCollection: true);
    }

    /// <summary>$aggregate's interval (its Meter's intervalDuration for <c>true</c>); without it the Meter's sampleInterval.</summary>
    private static TimeSpan IntervalOf(SampleQuery query, Meter meter, int samplingPeriod)
    {
        var text = query.Aggregate switch
        {
            null => null,
            "true" => meter.IntervalDuration
                ?? throw CimiRequestException.BadRequest($"{SampleQuery.AggregateParameter}=true needs the Meter's intervalDuration; this Meter has none (give a duration such as PT1M)."),
            var given => given,
        };
        if (text is null) return TimeSpan.FromSeconds(meter.SampleInterval ?? samplingPeriod);
        TimeSpan interval;
        try
        {
            interval = System.Xml.XmlConvert.ToTimeSpan(text);
        }
        catch (FormatException)
        {
            throw CimiRequestException.BadRequest($"{SampleQuery.AggregateParameter} must be an xs:duration such as PT1M (or true), not '{text}'.");
        }
        if (interval.TotalSeconds < Math.Max(samplingPeriod, meter.SampleInterval ?? 0) || interval > TimeSpan.FromDays(366))
            throw CimiRequestException.BadRequest(
                $"{SampleQuery.AggregateParameter} ({text}) must be at least the Meter's sampleInterval ({meter.SampleInterval} s) and at most a year.");
        return interval;
    }

    private static SampleReading Reading(SampleInterval i, bool aggregated) => aggregated
        ? new SampleReading
        {
            Timestamp = i.Start, Value = Text(i.Average), Min = Text(i.Min), Max = Text(i.Max), Average = Text(i.Average), Sum = Text(i.Sum), Count = i.Count,
        }
        : new SampleReading { Timestamp = i.Start, Value = Text(i.Average) };

    private static string Text(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static async Task<CimiResult> MetersOfAsync(CimiRequest request, string resourceId, IResourceReader readModel, CancellationToken ct)
    {
        // A resource that does not exist, or is another tenant's, is a 404, not an empty collection.
        if ((await readModel.GetManyAsync(request.TenantId, [resourceId], ct)).Count == 0)
            throw CimiException.NotFound($"'{resourceId}'");
        var ids = await request.Grains.GetGrain<IMeteredResourceGrain>(MeteredResources.Key(request.TenantId, resourceId)).MeterIds();
        var items = new List<Meter>();
        foreach (var meterId in ids)
        {
            try
            {
                items.Add(await request.Grain<IMeterGrain>(MeterRegistration.Type.Kind.LocalIdOf(meterId)!).Get());
            }
            catch (CimiException e) when (e.Kind == CimiErrorKind.NotFound)
            {
                // Deleted since the list was read.
            }
        }
        var meters = items.Select(m => CimiDocuments.FromResource(m, MeterType, request.BaseUri));
        var document = CimiDocuments.Collection(MeterType.CollectionTypeUri, request.BaseUri.Absolute(MeterRegistration.MetersOf(resourceId)),
            MeterType.CollectionArray, items.Count, meters, canAdd: false);
        return new CimiResult(StatusCodes.Status200OK, document, "Collection", isCollection: true);
    }
}
