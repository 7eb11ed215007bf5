namespace CimiGrains.Tests.DemoVm;

/// <summary>
/// The demo VM guest reads the cloud-init NoCloud seed in each shape the QEMU driver writes (its own
/// #cloud-config with the admin user, the consumer's userData alone, both in a MIME multipart
/// document), reports on its serial console with the CIMIGRAINS-DEMO-VM markers, keeps /data across a
/// reset, and powers off on the ACPI power button. Plain QEMU under TCG, so guests get generous deadlines.
/// </summary>
public sealed class DemoVmGuestTests
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(150);

    private const string MetaData = "instance-id: 0f3c9a27-demo\nlocal-hostname: web-1\n";

    [Fact]
    public async Task The_drivers_cloud_config_creates_the_admin_and_the_power_button_powers_the_guest_off()
    {
        const string userData = """
            #cloud-config
            users:
              - name: admin
                lock_passwd: false
                plain_text_passwd: "s3cr:et \"quoted\" pass"
                ssh_authorized_keys:
                  - "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITestKey admin@test"
            ssh_pwauth: true
            """;
        await using var guest = await PlainQemuGuest.StartAsync(MetaData, userData);

        var up = await guest.WaitForMarkerAsync(@"^UP hostname=(\S+) instance-id=(\S+) boot=([0-9a-f-]{36})", timeout: Boot);
        Assert.Equal("web-1", up.Groups[1].Value);
        Assert.Equal("0f3c9a27-demo", up.Groups[2].Value);
        var markers = guest.Markers();
        Assert.Contains("ADMIN user=admin password=set key=set", markers);
        Assert.Contains("NET ifaces=none", markers);
        Assert.Contains(markers, m => m.StartsWith("DATA dev=/dev/vd", StringComparison.Ordinal) && m.EndsWith("mounted=/data", StringComparison.Ordinal));
        Assert.DoesNotContain("s3cr:et", guest.Console());
        await guest.WaitForMarkerAsync($"^ALIVE boot={up.Groups[3].Value} uptime=", timeout: Boot);

        Assert.NotNull((await guest.QmpAsync("system_powerdown"))["return"]);
        Assert.True(await guest.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the guest to power itself off after system_powerdown");
        Assert.Equal(0, guest.ExitCode);
        Assert.Contains("POWEROFF reason=acpi-power-button", guest.Markers());
    }

    [Fact]
    public async Task A_userData_script_alone_runs_at_every_boot_and_what_it_wrote_to_data_survives_a_reset()
    {
        const string userData = """
            #!/bin/sh
            [ -f /data/value ] || { echo "v-$(cat /proc/sys/kernel/random/uuid)" >/data/value; sync; }
            echo "VALUE $(cat /data/value) in $(pwd)"
            exit 3
            """;
        await using var guest = await PlainQemuGuest.StartAsync(MetaData, userData);

        var first = await guest.WaitForMarkerAsync(@"^UP .* boot=(\S+)", timeout: Boot);
        Assert.Contains("ADMIN none", guest.Markers());
        Assert.Contains("USERDATA part=1 type=shellscript", guest.Markers());
        Assert.Contains("SCRIPT part=1 kind=shellscript exit=3", guest.Markers());
        var value = System.Text.RegularExpressions.Regex.Match(guest.Console(), @"VALUE (v-\S+) in /data").Groups[1].Value;
        Assert.NotEmpty(value);
        // The script syncs what it wrote, as a program that means to keep it does: waiting for ext4's 5 s journal
        // commit instead (two ALIVE lines) failed when the host's clock jumped and the guest's timers ran ahead.
        await guest.WaitForMarkerAsync("^ALIVE ", timeout: Boot);

        Assert.NotNull((await guest.QmpAsync("system_reset"))["return"]);
        var second = await guest.WaitForMarkerAsync(@"^UP .* boot=(\S+)", count: 2, timeout: Boot);
        Assert.NotEqual(first.Groups[1].Value, second.Groups[1].Value);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(guest.Console(), $"VALUE {value} in /data").Count);
    }

    [Fact]
    public async Task A_multipart_document_applies_its_cloud_config_and_runs_its_base64_script()
    {
        var script = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("""
            #!/bin/sh
            h=$(grep '^admin:' /etc/shadow | cut -d: -f2)
            salt=$(echo "$h" | cut -d'$' -f3)
            [ "$(mkpasswd -m sha512 "it's a secret" "$salt")" = "$h" ] && echo CHECK password-matches || echo CHECK password-differs
            echo "CHECK keys=$(grep -c . /home/admin/.ssh/authorized_keys) mode=$(stat -c %U:%a /home/admin/.ssh/authorized_keys)"

            """));
        var userData = $"""
            Content-Type: multipart/mixed; boundary="===============4242=="
            MIME-Version: 1.0

            --===============4242==
            Content-Type: text/cloud-config; charset="us-ascii"
            MIME-Version: 1.0

            #cloud-config
            users:
              - name: admin
                lock_passwd: false
                plain_text_passwd: "it's a secret"
                ssh_authorized_keys: ["ssh-ed25519 AAAA one", 'ssh-rsa BBBB two']
            ssh_pwauth: true
            --===============4242==
            Content-Type: text/x-shellscript; charset="us-ascii"
            Content-Transfer-Encoding: base64

            {script}
            --===============4242==
            Content-Type: text/cloud-boothook

            #cloud-boothook
            echo never
            --===============4242==--

            """;
        await using var guest = await PlainQemuGuest.StartAsync(MetaData, userData);

        await guest.WaitForMarkerAsync("^UP ", timeout: Boot);
        var markers = guest.Markers();
        Assert.Contains("USERDATA part=1 type=cloud-config", markers);
        Assert.Contains("USERDATA part=2 type=shellscript", markers);
        Assert.Contains("USERDATA part=3 type=ignored media=text/cloud-boothook", markers);
        Assert.Contains("ADMIN user=admin password=set key=set", markers);
        Assert.Contains("SCRIPT part=2 kind=shellscript exit=0", markers);
        var console = guest.Console();
        Assert.Contains("CHECK password-matches", console);
        Assert.Contains("CHECK keys=2 mode=admin:600", console);
        Assert.DoesNotContain("never", console);
    }
}
