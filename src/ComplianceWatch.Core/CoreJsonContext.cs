using System.Text.Json;
using System.Text.Json.Serialization;
using ComplianceWatch.Core.Events;
using ComplianceWatch.Core.Pipeline;
using ComplianceWatch.Core.Store;

namespace ComplianceWatch.Core;

/// <summary>
/// Serialization code generated at build time for the documents every run reads or writes (the report of
/// <c>check --json</c>, change events, stored state and history), so that a run does not first inspect these types by
/// reflection and emit accessors for them (an eighth of the tool's start, docs/benchmark.md). <see cref="JsonDefaults"/>
/// uses it ahead of reflection, under its own options (names, encoder, null handling): the JSON is the same.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CheckReport))]
[JsonSerializable(typeof(ChangeEvent))]
[JsonSerializable(typeof(SourceState))]
[JsonSerializable(typeof(HistoryEntry))]
[JsonSerializable(typeof(PendingEvent))]
internal sealed partial class CoreJsonContext : JsonSerializerContext;
