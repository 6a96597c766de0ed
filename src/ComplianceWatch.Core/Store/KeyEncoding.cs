using System.Buffers.Text;
using System.Text;
using System.Text.RegularExpressions;

namespace ComplianceWatch.Core.Store;

/// <summary>
/// Encodes any string as a key that is safe as a file name and as a Table Storage PartitionKey/RowKey:
/// strings of [a-z0-9-] (every valid source id) stay readable; anything else becomes "~" + base64url of its UTF-8.
/// </summary>
public static partial class KeyEncoding
{
    public static string Encode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length is > 0 and <= 64 && SafeKey().IsMatch(value))
        {
            return value;
        }

        return "~" + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(value));
    }

    public static string Decode(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.StartsWith('~') ? Encoding.UTF8.GetString(Base64Url.DecodeFromChars(key.AsSpan(1))) : key;
    }

    [GeneratedRegex("^[a-z0-9-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeKey();
}
