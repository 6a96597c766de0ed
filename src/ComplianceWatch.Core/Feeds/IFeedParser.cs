namespace ComplianceWatch.Core.Feeds;

/// <summary>One item of an RSS or Atom feed. <see cref="Id"/> is its guid (Atom id), else its link, else a hash of its text.</summary>
public sealed record FeedItem(string Id, string Title, string? Summary, string? Link, DateTimeOffset? Published);

public sealed record FeedDocument(string? Title, IReadOnlyList<FeedItem> Items);

/// <summary>A document that is not a well-formed RSS 2.0 or Atom 1.0 feed.</summary>
public sealed class FeedFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The port to parse a feed (System.ServiceModel.Syndication in production).</summary>
public interface IFeedParser
{
    /// <summary>Parses <paramref name="text"/>; relative links are resolved against <c>xml:base</c>, else <paramref name="feedUrl"/>.</summary>
    /// <exception cref="FeedFormatException">the text is not a well-formed RSS 2.0 or Atom 1.0 feed.</exception>
    FeedDocument Parse(string text, Uri? feedUrl = null);
}
