using CimiGrains.Credentials;
using CimiGrains.Systems;

namespace CimiGrains.Tests.Grains;

/// <summary>A SystemTemplate's passwords are write-only: a PUT of what a GET shows must not drop them.</summary>
[Collection(GrainClusterCollection.Name)]
public sealed class SystemTemplateSecretTests(GrainClusterFixture fixture)
{
    private const string CredentialType = "http://schemas.dmtf.org/cimi/1/Credential";
    private const string SystemType = "http://schemas.dmtf.org/cimi/1/System";

    [Fact]
    public async Task A_put_of_the_shown_template_keeps_its_passwords_and_a_password_sent_replaces_one()
    {
        var grain = fixture.Grains.GetGrain<ISystemTemplateGrain>(GrainKeys.Of(GrainClusterFixture.NewTenant(), "t"));
        var nested = new SystemTemplate { ComponentDescriptors = [Admin("inner-admin", "inner-pass")] };
        await grain.Create(new SystemTemplate
        {
            ComponentDescriptors =
            [
                Admin("admin", "outer-pass"), Admin("other", "other-pass"),
                new ComponentDescriptor { Name = "inner", Type = SystemType, SystemTemplate = nested },
            ],
        });

        var shown = await grain.Get();
        Assert.All(Passwords(shown), p => Assert.Null(p));
        // The shown document back, with one password changed and a renamed component (which had none before).
        var edited = shown with
        {
            Description = "edited",
            ComponentDescriptors =
            [
                shown.ComponentDescriptors![0],
                shown.ComponentDescriptors[1] with { CredentialTemplate = shown.ComponentDescriptors[1].CredentialTemplate! with { Password = "new-pass" } },
                shown.ComponentDescriptors[2],
                Admin("renamed", null),
            ],
        };
        await grain.Update(edited);

        var stored = (await grain.GetInternal())!;
        Assert.Equal("edited", stored.Description);
        Assert.Equal(["outer-pass", "new-pass", "inner-pass", null], Passwords(stored));
        Assert.All(Passwords(await grain.Get()), p => Assert.Null(p));
    }

    private static ComponentDescriptor Admin(string name, string? password) => new()
    {
        Name = name, Type = CredentialType, CredentialTemplate = new CredentialTemplate { UserName = "ops", Password = password },
    };

    /// <summary>Every credential component's password, depth first.</summary>
    private static List<string?> Passwords(SystemTemplate template) =>
        template.ComponentDescriptors!.SelectMany(c => c.SystemTemplate is { } inner
            ? Passwords(inner)
            : c.CredentialTemplate is { } credential ? [credential.Password] : new List<string?>()).ToList();
}
