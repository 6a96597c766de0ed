using System.Net;
using System.Net.Sockets;

namespace ComplianceWatch.Core.Net;

/// <summary>
/// Decides whether ComplianceWatch may connect to an address (SSRF guard), applied to the address actually
/// connected to, after DNS, on every redirect hop. Link-local and cloud metadata addresses are refused always;
/// loopback, private (RFC 1918), CGNAT and unique-local addresses only when private networks are allowed.
/// IPv4 embedded in IPv6 (mapped, compatible, NAT64, 6to4) is judged as the IPv4 address it carries.
/// </summary>
public static class AddressGuard
{
    public static AddressVerdict Classify(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (EmbeddedIPv4(address) is { } v4)
            {
                return Classify(v4);
            }

            if (address.Equals(IPAddress.IPv6Loopback))
            {
                return AddressVerdict.Private;
            }

            if (address.Equals(IPAddress.IPv6Any) || address.IsIPv6LinkLocal || address.IsIPv6Multicast || address.IsIPv6SiteLocal)
            {
                return AddressVerdict.Forbidden;
            }

            var b = address.GetAddressBytes();
            return (b[0] & 0xFE) == 0xFC ? AddressVerdict.Private : AddressVerdict.Public; // fc00::/7 unique-local
        }

        var o = address.GetAddressBytes();
        return (o[0], o[1]) switch
        {
            (0, _) => AddressVerdict.Forbidden,                                       // "this network"
            (169, 254) => AddressVerdict.Forbidden,                                   // link-local, incl. 169.254.169.254 metadata
            (168, 63) when o[2] == 129 && o[3] == 16 => AddressVerdict.Forbidden,     // Azure wire server
            ( >= 224, _) => AddressVerdict.Forbidden,                                 // multicast, reserved, broadcast
            (127, _) => AddressVerdict.Private,                                       // loopback
            (10, _) => AddressVerdict.Private,
            (172, >= 16 and <= 31) => AddressVerdict.Private,
            (192, 168) => AddressVerdict.Private,
            (100, >= 64 and <= 127) => AddressVerdict.Private,                        // CGNAT 100.64.0.0/10
            (198, 18 or 19) => AddressVerdict.Private,                                // benchmarking 198.18.0.0/15
            _ => AddressVerdict.Public,
        };
    }

    public static bool IsAllowed(IPAddress address, bool allowPrivateNetwork) => Classify(address) switch
    {
        AddressVerdict.Public => true,
        AddressVerdict.Private => allowPrivateNetwork,
        _ => false,
    };

    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        var b = address.GetAddressBytes();
        // IPv4-compatible ::a.b.c.d (but not :: and ::1)
        if (b.Take(12).All(x => x == 0) && !(b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] <= 1))
        {
            return new IPAddress(b[12..16]);
        }

        // NAT64 64:ff9b::/96
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.Skip(4).Take(8).All(x => x == 0))
        {
            return new IPAddress(b[12..16]);
        }

        // 6to4 2002:AABB:CCDD::/48
        return b[0] == 0x20 && b[1] == 0x02 ? new IPAddress(b[2..6]) : null;
    }
}

public enum AddressVerdict
{
    Public,
    Private,
    Forbidden,
}

/// <summary>
/// One decision of the guard before a connection: the host asked for, the addresses it resolved to (once: the
/// connection goes to an address checked here, never to a second lookup) and whether any may be connected to.
/// </summary>
public sealed record AddressDecision(string Host, int Port, IReadOnlyList<IPAddress> Addresses, bool Allowed, bool ViaProxy);
