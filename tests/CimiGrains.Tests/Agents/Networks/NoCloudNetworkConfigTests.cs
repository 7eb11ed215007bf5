extern alias agents;
using agents::CimiGrains.Agents.Networks;
using agents::CimiGrains.Agents.Qemu;

namespace CimiGrains.Tests.Agents.Networks;

/// <summary>The seed's network-config as the QEMU driver writes it (docs/NETWORKS.md, "Drivers"): cloud-init's version 2,
/// one ethernets entry per interface matched by MAC, values quoted so that nothing can break out of its field.</summary>
public sealed class NoCloudNetworkConfigTests
{
    [Fact]
    public void Each_interface_is_matched_by_mac_with_its_static_addresses_default_route_dns_and_mtu()
    {
        var config = NoCloudSeed.NetworkConfig(
        [
            new NetworkPlaneInterface("t/nic-a", "t/net1", 7, "02:00:0a:00:00:05", ["10.20.0.5/24"], "10.20.0.1", ["10.20.0.1", "9.9.9.9"], 1450, "PRIVATE", "eth0"),
            new NetworkPlaneInterface("t/nic-b", "t/net2", 8, "02:00:0a:00:00:06", ["fd00::6/64"], "fd00::1", [], 0, "PUBLIC", "eth1"),
        ]);
        Assert.Equal("""
            version: 2
            ethernets:
              "eth0":
                match:
                  macaddress: "02:00:0a:00:00:05"
                set-name: "eth0"
                dhcp4: false
                dhcp6: false
                addresses: ["10.20.0.5/24"]
                routes:
                  - to: "0.0.0.0/0"
                    via: "10.20.0.1"
                nameservers:
                  addresses: ["10.20.0.1", "9.9.9.9"]
                mtu: 1450
              "eth1":
                match:
                  macaddress: "02:00:0a:00:00:06"
                set-name: "eth1"
                dhcp4: false
                dhcp6: false
                addresses: ["fd00::6/64"]
                routes:
                  - to: "::/0"
                    via: "fd00::1"

            """.Replace("\r", ""), config);
    }

    [Fact]
    public void A_machine_without_interfaces_gets_no_network_config()
    {
        Assert.Null(NoCloudSeed.NetworkConfig([]));
        Assert.Null(NoCloudSeed.NetworkConfig(null));
    }
}
