using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Core.Tests.Store;

public class KeyEncodingTests
{
    private static readonly char[] Unsafe = ['/', '\\', '#', '?'];

    public static TheoryData<string> UnsafeStrings => new()
    {
        "a/b",
        "a\\b",
        "section#3",
        "page?x=1",
        "tab\there",
        "line\nbreak",
        "nul\0char",
        "bell\u0007\u007F\u0085",
        "中国 香港",
        "emoji 🚫",
        "https://platform.openai.com/docs/supported-countries?lang=en#asia",
        "proxy:hk-1",
        "globalping:CN",
        "UPPER",
        "~already-tilde",
        " ",
        "",
        new string('x', 2000),
        new string('a', 65),
        "a b",
    };

    public class Encode
    {
        [Theory]
        [InlineData("openai-terms-of-use")]
        [InlineData("a")]
        [InlineData("0-9")]
        [InlineData("2024-12345")]
        public void Encode_SafeSourceId_IsUnchanged(string id)
        {
            Assert.Equal(id, KeyEncoding.Encode(id));
        }

        [Fact]
        public void Encode_SafeIdOf64Characters_IsUnchanged()
        {
            var id = new string('z', 64);

            Assert.Equal(id, KeyEncoding.Encode(id));
        }

        [Theory]
        [MemberData(nameof(UnsafeStrings), MemberType = typeof(KeyEncodingTests))]
        public void Encode_AnyString_HasNoForbiddenCharacters(string value)
        {
            var key = KeyEncoding.Encode(value);

            Assert.NotEmpty(key);
            Assert.Equal(-1, key.IndexOfAny(Unsafe));
            Assert.DoesNotContain(key, char.IsControl);
            Assert.All(key, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '~', $"unexpected character '{c}' in {key}"));
        }

        [Theory]
        [MemberData(nameof(UnsafeStrings), MemberType = typeof(KeyEncodingTests))]
        public void Encode_NonSafeString_IsMarkedWithTilde(string value)
        {
            Assert.StartsWith("~", KeyEncoding.Encode(value), StringComparison.Ordinal);
        }

        [Fact]
        public void Encode_DistinctStrings_GiveDistinctKeys()
        {
            var values = new[] { "a/b", "a\\b", "a#b", "a?b", "A", "a", "~a", "", " " };

            var keys = values.Select(KeyEncoding.Encode).ToList();

            Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        }

        [Fact]
        public void Encode_Null_Throws()
        {
            Assert.Throws<ArgumentNullException>(() => KeyEncoding.Encode(null!));
        }
    }

    public class Decode
    {
        [Theory]
        [MemberData(nameof(UnsafeStrings), MemberType = typeof(KeyEncodingTests))]
        [InlineData("openai-terms-of-use")]
        public void Decode_OfEncode_RoundTrips(string value)
        {
            Assert.Equal(value, KeyEncoding.Decode(KeyEncoding.Encode(value)));
        }

        [Fact]
        public void Decode_SafeKey_IsItself()
        {
            Assert.Equal("openai-terms", KeyEncoding.Decode("openai-terms"));
        }
    }
}
