namespace ComplianceWatch.Core;

/// <summary>The data files embedded in ComplianceWatch.Core (catalog schema, signatures, challenges, error pages, relevance rules).</summary>
internal static class EmbeddedData
{
    /// <summary>The text of the embedded <paramref name="fileName"/>; <paramref name="what"/> names it in the error when it is missing.</summary>
    public static string ReadText(string fileName, string what)
    {
        using var stream = typeof(EmbeddedData).Assembly.GetManifestResourceStream("ComplianceWatch." + fileName)
            ?? throw new InvalidOperationException($"ComplianceWatch.Core does not embed {fileName} (the {what}).");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
