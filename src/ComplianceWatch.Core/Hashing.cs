using System.Security.Cryptography;
using System.Text;

namespace ComplianceWatch.Core;

public static class Hashing
{
    /// <summary>SHA-256 of the UTF-8 bytes of <paramref name="text"/>, as 64 lower-case hex characters.</summary>
    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
