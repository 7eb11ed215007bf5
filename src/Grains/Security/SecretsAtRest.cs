using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace CimiGrains.Grains.Security;

/// <summary>
/// Secrets sealed in grain storage: every string property marked <see cref="SecretAtRestAttribute"/> is
/// written through <see cref="SecretProtector"/> by the System.Text.Json grain storage serializer, so it
/// is sealed in every grain state that holds it and nowhere else (grains, the wire to agents and the read
/// model see plaintext or nothing). Reading accepts sealed values under any configured key and plaintext
/// from before; each write seals with the current key, which is how rows move to a new key.
/// </summary>
public static class SecretsAtRest
{
    /// <summary>Seals the marked properties in the silo's grain storage with <paramref name="keys"/>.</summary>
    public static ISiloBuilder AddSecretsAtRest(this ISiloBuilder silo, SecretKeyRing keys)
    {
        var protector = new SecretProtector(keys);
        silo.Services.AddSingleton(protector);
        silo.Services.Configure<SystemTextJsonGrainStorageSerializerOptions>(o => Apply(o.JsonSerializerOptions, protector));
        return silo;
    }

    /// <summary>Adds the sealing to serializer options (before their first use).</summary>
    public static void Apply(JsonSerializerOptions options, SecretProtector protector)
    {
        var resolver = options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver();
        options.TypeInfoResolver = resolver.WithAddedModifier(info =>
        {
            if (info.Kind != JsonTypeInfoKind.Object) return;
            foreach (var property in info.Properties)
            {
                if (property.PropertyType != typeof(string) || !IsSecret(property)) continue;
                property.CustomConverter = new SealedStringConverter(protector, $"{info.Type.Name}.{property.Name}");
            }
        });
    }

    private static bool IsSecret(JsonPropertyInfo property) =>
        property.AttributeProvider is MemberInfo member && member.IsDefined(typeof(SecretAtRestAttribute), inherit: true);

    /// <summary>The field name is the associated data: a sealed value opens only in the field it was sealed for.</summary>
    private sealed class SealedStringConverter(SecretProtector protector, string field) : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetString() is { } stored ? protector.Unseal(stored, field) : null;

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
            writer.WriteStringValue(protector.Seal(value, field));
    }
}
