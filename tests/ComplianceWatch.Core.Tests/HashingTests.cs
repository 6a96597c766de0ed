namespace ComplianceWatch.Core.Tests;

public class HashingTests
{
    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("café 中文 😀", "6ff64a95675f0472ed524a7aecd5b512aa192c5259637c679c245275c80f4335")]
    public void Sha256_IsTheLowerCaseHexDigestOfTheUtf8Bytes(string text, string expected)
    {
        Assert.Equal(expected, Hashing.Sha256(text));
    }

    [Fact]
    public void Sha256_PageSizedText_HashesEveryByte()
    {
        Assert.Equal("1f89fee9c31e5f17978641c44848955bb758480788c43acfb980c9dc1b4dad31", Hashing.Sha256(new string('x', 200_000) + "é"));
    }

    [Fact]
    public void Sha256_LoneSurrogate_HashesAsTheReplacementCharacter()
    {
        Assert.Equal(Hashing.Sha256("a\uFFFDb"), Hashing.Sha256("a\uD800b"));
    }
}
