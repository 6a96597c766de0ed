using System.Net;
using ComplianceWatch.Core.Net;

namespace ComplianceWatch.Core.Tests.Net;

public class AddressGuardTests
{
    public class Classify
    {
        [Theory]
        [InlineData("127.0.0.1")]
        [InlineData("127.255.0.9")]
        [InlineData("::1")]
        [InlineData("10.0.0.1")]
        [InlineData("10.255.255.255")]
        [InlineData("172.16.0.1")]
        [InlineData("172.31.255.254")]
        [InlineData("192.168.1.1")]
        [InlineData("100.64.0.1")]
        [InlineData("100.127.255.254")]
        [InlineData("fc00::1")]
        [InlineData("fd12:3456:789a::1")]
        public void Classify_LoopbackPrivateCgnatAndUniqueLocal_ArePrivate(string address)
        {
            Assert.Equal(AddressVerdict.Private, AddressGuard.Classify(IPAddress.Parse(address)));
        }

        [Theory]
        [InlineData("169.254.169.254")] // cloud metadata
        [InlineData("169.254.0.1")]
        [InlineData("169.254.255.255")]
        [InlineData("168.63.129.16")]   // Azure wire server
        [InlineData("0.0.0.0")]
        [InlineData("0.1.2.3")]
        [InlineData("224.0.0.1")]
        [InlineData("239.255.255.250")]
        [InlineData("240.0.0.1")]
        [InlineData("255.255.255.255")]
        [InlineData("fe80::1")]
        [InlineData("::")]
        [InlineData("ff02::1")]
        [InlineData("fec0::1")]
        public void Classify_LinkLocalMetadataUnspecifiedAndMulticast_AreForbidden(string address)
        {
            Assert.Equal(AddressVerdict.Forbidden, AddressGuard.Classify(IPAddress.Parse(address)));
        }

        [Theory]
        [InlineData("8.8.8.8")]
        [InlineData("1.1.1.1")]
        [InlineData("172.15.255.255")]
        [InlineData("172.32.0.1")]
        [InlineData("100.63.255.255")]
        [InlineData("100.128.0.1")]
        [InlineData("168.63.129.17")]
        [InlineData("169.253.0.1")]
        [InlineData("192.169.0.1")]
        [InlineData("2606:4700::1111")]
        [InlineData("2001:4860:4860::8888")]
        public void Classify_PublicAddresses_ArePublic(string address)
        {
            Assert.Equal(AddressVerdict.Public, AddressGuard.Classify(IPAddress.Parse(address)));
        }

        [Theory]
        [InlineData("::ffff:169.254.169.254", AddressVerdict.Forbidden)] // IPv4-mapped
        [InlineData("::ffff:168.63.129.16", AddressVerdict.Forbidden)]
        [InlineData("::ffff:127.0.0.1", AddressVerdict.Private)]
        [InlineData("::ffff:10.1.2.3", AddressVerdict.Private)]
        [InlineData("::ffff:8.8.8.8", AddressVerdict.Public)]
        [InlineData("64:ff9b::a9fe:a9fe", AddressVerdict.Forbidden)]     // NAT64 of 169.254.169.254
        [InlineData("64:ff9b::7f00:1", AddressVerdict.Private)]          // NAT64 of 127.0.0.1
        [InlineData("64:ff9b::808:808", AddressVerdict.Public)]          // NAT64 of 8.8.8.8
        [InlineData("2002:a9fe:a9fe::", AddressVerdict.Forbidden)]       // 6to4 of 169.254.169.254
        [InlineData("2002:a9fe:a9fe:1::1", AddressVerdict.Forbidden)]
        [InlineData("2002:c0a8:0101::1", AddressVerdict.Private)]        // 6to4 of 192.168.1.1
        [InlineData("2002:0808:0808::1", AddressVerdict.Public)]         // 6to4 of 8.8.8.8
        [InlineData("::a9fe:a9fe", AddressVerdict.Forbidden)]            // IPv4-compatible
        [InlineData("::127.0.0.1", AddressVerdict.Private)]
        public void Classify_IPv4EmbeddedInIPv6_IsJudgedAsTheIPv4Address(string address, AddressVerdict expected)
        {
            Assert.Equal(expected, AddressGuard.Classify(IPAddress.Parse(address)));
        }

        [Fact]
        public void Classify_Null_Throws()
        {
            Assert.Throws<ArgumentNullException>(() => AddressGuard.Classify(null!));
        }
    }

    public class IsAllowed
    {
        [Theory]
        [InlineData("8.8.8.8")]
        [InlineData("2606:4700::1111")]
        public void IsAllowed_Public_IsAlwaysAllowed(string address)
        {
            Assert.True(AddressGuard.IsAllowed(IPAddress.Parse(address), allowPrivateNetwork: false));
            Assert.True(AddressGuard.IsAllowed(IPAddress.Parse(address), allowPrivateNetwork: true));
        }

        [Theory]
        [InlineData("127.0.0.1")]
        [InlineData("::1")]
        [InlineData("10.0.0.1")]
        [InlineData("100.64.0.1")]
        [InlineData("fd00::1")]
        [InlineData("::ffff:127.0.0.1")]
        public void IsAllowed_Private_OnlyWhenPrivateNetworkAllowed(string address)
        {
            Assert.False(AddressGuard.IsAllowed(IPAddress.Parse(address), allowPrivateNetwork: false));
            Assert.True(AddressGuard.IsAllowed(IPAddress.Parse(address), allowPrivateNetwork: true));
        }

        [Theory]
        [InlineData("169.254.169.254")]
        [InlineData("168.63.129.16")]
        [InlineData("fe80::1")]
        [InlineData("0.0.0.0")]
        [InlineData("::ffff:169.254.169.254")]
        [InlineData("64:ff9b::a9fe:a9fe")]
        [InlineData("2002:a9fe:a9fe::")]
        public void IsAllowed_Forbidden_IsNeverAllowed(string address)
        {
            Assert.False(AddressGuard.IsAllowed(IPAddress.Parse(address), allowPrivateNetwork: false));
            Assert.False(AddressGuard.IsAllowed(IPAddress.Parse(address), allowPrivateNetwork: true));
        }
    }
}
