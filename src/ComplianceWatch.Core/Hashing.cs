using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace ComplianceWatch.Core;

public static class Hashing
{
    /// <summary>SHA-256 of the UTF-8 bytes of <paramref name="text"/>, as 64 lower-case hex characters.</summary>
    /// <remarks>The bytes go through a pooled buffer: hashing a page's text costs no copy of it on the heap.</remarks>
    public static string Sha256(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(text));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, buffer);
            return Sha256(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>SHA-256 of <paramref name="bytes"/>, as 64 lower-case hex characters.</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes, hash);
        return Convert.ToHexStringLower(hash);
    }
}
