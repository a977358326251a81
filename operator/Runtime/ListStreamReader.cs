using System.Buffers;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace GuardDutyCoverage.Runtime;

/// <summary>
/// Reads a LIST response from the network stream one item at a time: only the item being read is ever held as JSON,
/// and each item goes through the informer's transform before the next is read. A 5,000-pod LIST served whole (resourceVersion
/// "0" comes from the watch cache, which ignores <c>limit</c>) thus never exists in memory as one document.
/// </summary>
internal static class ListStreamReader
{
    private const int InitialBuffer = 64 * 1024;

    private enum Where
    {
        BeforeRoot,
        InRoot,
        InItems,
        Done,
    }

    public static async Task<KubeList<T>> ReadAsync<T>(Stream stream, ResourceType<T> type, string path, Action<T>? transform, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        try
        {
            var cursor = new Cursor<T>(type, path, transform);
            var filled = 0;
            var final = false;
            while (true)
            {
                if (!final && filled < buffer.Length)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                    final = read == 0;
                    filled += read;
                }

                var consumed = cursor.Advance(buffer.AsSpan(0, filled), final);
                if (cursor.Finished)
                {
                    return cursor.Result();
                }

                if (final)
                {
                    throw new InvalidDataException($"GET {path}: the response ends inside the {type.Kind} list");
                }

                // Keep what was not consumed; an item larger than the buffer makes the buffer grow.
                var rest = filled - consumed;
                if (consumed == 0 && rest == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, rest).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                else if (consumed > 0)
                {
                    buffer.AsSpan(consumed, rest).CopyTo(buffer);
                }

                filled = rest;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Utf8JsonReader.GetString throws InvalidOperationException on a property name whose escape is not
            // valid UTF-16: as malformed as any other broken list.
            throw new InvalidDataException($"GET {path}: the response is not a valid {type.Kind} list: {e.Message}", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The parse position between buffers (a <see cref="Utf8JsonReader"/> cannot live across awaits).</summary>
    private sealed class Cursor<T>(ResourceType<T> type, string path, Action<T>? transform)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        private readonly List<T> _items = [];
        private JsonReaderState _state;
        private Where _where = Where.BeforeRoot;
        private V1ListMeta? _metadata;

        public bool Finished => _where == Where.Done;

        public KubeList<T> Result() => new(
            _items,
            _metadata?.ResourceVersion ?? "",
            string.IsNullOrEmpty(_metadata?.ContinueProperty) ? null : _metadata.ContinueProperty,
            _metadata?.RemainingItemCount);

        /// <summary>Reads every complete token or value in <paramref name="data"/>; returns the bytes consumed.</summary>
        public int Advance(ReadOnlySpan<byte> data, bool final)
        {
            var reader = new Utf8JsonReader(data, final, _state);
            while (_where != Where.Done)
            {
                var before = reader.CurrentState;
                var consumedBefore = (int)reader.BytesConsumed;
                if (!reader.Read())
                {
                    break;
                }

                switch (_where)
                {
                    case Where.BeforeRoot:
                        if (reader.TokenType != JsonTokenType.StartObject)
                        {
                            throw new InvalidDataException($"GET {path}: the response is not a {type.Kind} list (a JSON {reader.TokenType})");
                        }

                        _where = Where.InRoot;
                        break;

                    case Where.InRoot when reader.TokenType == JsonTokenType.EndObject:
                        _where = Where.Done;
                        break;

                    case Where.InRoot:
                        // A property name: its value must be complete in the buffer before it is taken, except the
                        // items array, whose items are read one by one (the array whole would be the response whole).
                        var name = reader.GetString();
                        var probe = reader;
                        if (!probe.Read() || (!(name == "items" && probe.TokenType == JsonTokenType.StartArray) && !probe.TrySkip()))
                        {
                            _state = before;
                            return consumedBefore;
                        }

                        reader.Read();
                        if (name == "items" && reader.TokenType == JsonTokenType.StartArray)
                        {
                            _where = Where.InItems;
                        }
                        else if (name == "items" && reader.TokenType == JsonTokenType.Null)
                        {
                            // "items": null: an empty list.
                        }
                        else if (name == "metadata" && reader.TokenType == JsonTokenType.StartObject)
                        {
                            _metadata = JsonSerializer.Deserialize(ref reader, KubeJson.TypeInfo<V1ListMeta>());
                        }
                        else
                        {
                            reader.TrySkip(); // complete: checked above
                        }

                        break;

                    case Where.InItems when reader.TokenType == JsonTokenType.EndArray:
                        _where = Where.InRoot;
                        break;

                    case Where.InItems:
                        var item = reader;
                        if (!item.TrySkip())
                        {
                            _state = before;
                            return consumedBefore;
                        }

                        var obj = JsonSerializer.Deserialize(ref reader, type.TypeInfo) ?? throw new InvalidDataException($"GET {path}: null item in list");

                        // Items of a list carry no apiVersion/kind on some servers; the descriptor knows them.
                        obj.ApiVersion ??= type.ApiVersion;
                        obj.Kind ??= type.Kind;
                        transform?.Invoke(obj);
                        _items.Add(obj);
                        break;
                }
            }

            _state = reader.CurrentState;
            return (int)reader.BytesConsumed;
        }
    }
}
