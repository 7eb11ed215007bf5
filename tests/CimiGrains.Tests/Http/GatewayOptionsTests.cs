using CimiGrains.Gateway.Hosting;
using Microsoft.Extensions.Configuration;

namespace CimiGrains.Tests.Http;

/// <summary>
/// The gateway's settings: bound from configuration by their README names (environment or command line),
/// a value that cannot work refused at start in one line that names the setting, and the effective
/// settings logged with every secret redacted.
/// </summary>
public sealed class GatewayOptionsTests
{
    private static CimiGatewayOptions Bind(params (string Key, string Value)[] settings) =>
        CimiGatewayOptions.FromConfiguration(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build());

    [Fact]
    public void Unset_and_empty_settings_keep_their_defaults_and_set_ones_are_bound()
    {
        var defaults = Bind(("CIMI_HTTP_PORT", ""));
        Assert.Equal(8080, defaults.HttpPort);
        Assert.Equal(24 * 60, defaults.JobRetentionMinutes);
        Assert.Equal(600, defaults.VolumeReservationSeconds);
        Assert.Equal(90, Bind(("CIMI_VOLUME_RESERVATION_SECONDS", "90")).VolumeReservationSeconds);
        var bound = Bind(("CIMI_HTTP_PORT", "8090"), ("CIMI_JOB_RETENTION_MINUTES", "-1"), ("CIMI_ALLOW_PLAIN_HTTP", "true"),
            ("CIMI_PUBLIC_IMAGES", "docker:debian:12"));
        Assert.Equal(8090, bound.HttpPort);
        Assert.Equal(-1, bound.JobRetentionMinutes);
        Assert.True(bound.AllowPlainHttp);
        Assert.Equal(["docker:debian:12"], bound.PublicImages);
    }

    [Fact]
    public void A_setting_given_on_the_command_line_is_bound_like_the_variable()
    {
        var options = CimiGatewayOptions.FromConfiguration(new ConfigurationBuilder().AddCommandLine(["--CIMI_SILO_PORT=11112"]).Build());
        Assert.Equal(11112, options.SiloPort);
    }

    [Theory]
    [InlineData("CIMI_HTTP_PORT", "eighty", "CIMI_HTTP_PORT='eighty' is not a TCP port.")]
    [InlineData("CIMI_ADVERTISED_ADDRESS", "silo-1", "CIMI_ADVERTISED_ADDRESS='silo-1' is not an IP address.")]
    [InlineData("CIMI_HTTP_ADDRESS", "localhost", "CIMI_HTTP_ADDRESS='localhost' is not an IP address.")]
    [InlineData("CIMI_PUBLIC_BASE_URI", "cimi.example/", "CIMI_PUBLIC_BASE_URI='cimi.example/' is not an absolute http or https URI.")]
    [InlineData("CIMI_SILO_PORT", "8080", "CIMI_HTTP_PORT=8080 is also CIMI_SILO_PORT: each listener needs its own port.")]
    [InlineData("CIMI_READ_MODEL_POOL_SIZE", "0", "CIMI_READ_MODEL_POOL_SIZE='0' is not a positive number.")]
    [InlineData("CIMI_VOLUME_RESERVATION_SECONDS", "0", "CIMI_VOLUME_RESERVATION_SECONDS='0' is not a number of seconds from 1 to 86400.")]
    public void A_value_that_cannot_work_is_refused_naming_the_setting(string key, string value, string message)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Bind((key, value)));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void A_connection_string_Npgsql_cannot_read_is_refused_without_echoing_its_password()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Bind(("CIMI_POSTGRES", "Host=db;Password=hunter2-secret;Port=nope")));
        Assert.StartsWith("CIMI_POSTGRES is not an Npgsql connection string", e.Message);
        Assert.DoesNotContain("hunter2-secret", e.Message);
    }

    [Fact]
    public void The_logged_settings_redact_every_password()
    {
        var options = Bind(("CIMI_POSTGRES", "Host=db;Username=cimi;Password=hunter2-secret;Database=cimigrains"),
            ("CIMI_ADMIN_PASSWORD", "admin-secret-1"), ("CIMI_DEMO_PASSWORD", "demo-secret-2"), ("CIMI_HTTPS_CERT_PASSWORD", "pfx-secret-3"));
        var text = options.ToString();
        foreach (var secret in new[] { "hunter2-secret", "admin-secret-1", "demo-secret-2", "pfx-secret-3" })
            Assert.DoesNotContain(secret, text);
        Assert.Contains("Password=***", text);
        Assert.Contains("CIMI_ADMIN_PASSWORD=(set)", text);
        Assert.Contains("Host=db", text);
    }

    [Fact]
    public async Task The_gateway_refuses_to_start_on_a_bad_setting_with_one_line_naming_it()
    {
        var postgres = await TestDatabase.CreateAsync("badsetting");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            GatewayProcess.StartAsync(postgres, new Dictionary<string, string> { ["CIMI_ADVERTISED_ADDRESS"] = "silo-1" }));
        Assert.Contains("cimigrains-gateway: CIMI_ADVERTISED_ADDRESS='silo-1' is not an IP address.", e.Message);
        Assert.DoesNotContain("   at ", e.Message);
    }
}
