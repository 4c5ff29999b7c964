using System.Text.Unicode;
using Serving.Contracts.Ranking.V1;
using FeaturesMessage = Serving.Contracts.Ranking.V1.Features;

namespace Serving.Features.Wire;

/// <summary>
/// Walks the columns of one <c>Features</c> message (<c>context</c> or <c>candidates</c>) straight
/// from a request's wire bytes, in all its parts (protobuf merges a message sent twice), in the
/// order they arrived. Field numbers come from the generated code. Malformed bytes between columns
/// throw <see cref="InvalidDataException"/> from <see cref="MoveNext"/>.
/// </summary>
internal ref struct WireColumns
{
    /// <summary>A <c>Features</c> message lies inside the request (for <see cref="ProtoWireReader.RecursionLimit"/>).</summary>
    private const int FeaturesDepth = 1;

    private readonly WireRankRequest _request;
    private readonly IReadOnlyList<Range> _parts;
    private int _part;
    private ProtoWireReader _reader;
    private int _sparse;
    private int _dense;

    public WireColumns(WireRankRequest request, IReadOnlyList<Range> parts)
    {
        _request = request;
        _parts = parts;
        _part = -1;
        _reader = default;
    }

    /// <summary>The column <see cref="MoveNext"/> stopped at.</summary>
    public WireColumn Current { get; private set; }

    public bool MoveNext()
    {
        while (true)
        {
            while (_part >= 0 && _reader.TryReadTag(out var field, out var wireType))
            {
                if (field == FeaturesMessage.SparseFieldNumber && wireType == ProtoWireReader.LengthDelimited)
                {
                    Current = new WireColumn(_reader.ReadLengthDelimited(), isDense: false, _sparse++);
                    return true;
                }

                if (field == FeaturesMessage.DenseFieldNumber && wireType == ProtoWireReader.LengthDelimited)
                {
                    Current = new WireColumn(_reader.ReadLengthDelimited(), isDense: true, _dense++);
                    return true;
                }

                _reader.Skip(wireType);
            }

            if (++_part >= _parts.Count)
            {
                return false;
            }

            _reader = new ProtoWireReader(_request.Bytes(_parts[_part]), FeaturesDepth);
        }
    }
}

/// <summary>
/// One <c>SparseColumn</c> or <c>DenseColumn</c> in its wire bytes: its name and value counts
/// (<see cref="Scan"/>), and its values as UTF-8 strings, ids or floats, packed or not, in order.
/// Malformed bytes throw <see cref="InvalidDataException"/>.
/// </summary>
internal readonly ref struct WireColumn(ReadOnlySpan<byte> bytes, bool isDense, int index)
{
    /// <summary>A column lies inside a <c>Features</c> message inside the request (for <see cref="ProtoWireReader.RecursionLimit"/>).</summary>
    private const int ColumnDepth = 2;

    private readonly ReadOnlySpan<byte> _bytes = bytes;

    /// <summary>A <c>DenseColumn</c> (else a <c>SparseColumn</c>).</summary>
    public bool IsDense { get; } = isDense;

    /// <summary>Position among the message's sparse or dense columns (<c>sparse[i]</c>, <c>dense[i]</c>).</summary>
    public int Index { get; } = index;

    /// <summary>The column's bytes (for checks that look at all of them at once).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>First pass: the name and how many values and ids the column holds (fields may come in any order).</summary>
    public ColumnScan Scan()
    {
        var scan = default(ColumnScan);
        var reader = new ProtoWireReader(_bytes, ColumnDepth);
        while (reader.TryReadTag(out var field, out var wireType))
        {
            switch ((field, wireType))
            {
                case (SparseColumn.NameFieldNumber, ProtoWireReader.LengthDelimited):
                    // The last name wins, but protobuf refuses the message if any of them is not
                    // UTF-8: a replaced name that is not stays, for the resolver to refuse.
                    var name = reader.ReadLengthDelimited();
                    if (scan.Name.IsEmpty || Utf8.IsValid(scan.Name))
                    {
                        scan.Name = name;
                    }

                    break;
                case (SparseColumn.ValuesFieldNumber, ProtoWireReader.LengthDelimited):
                    var values = reader.ReadLengthDelimited();
                    scan.Values += IsDense ? ProtoWireReader.CountPackedFloats(values) : 1;
                    break;
                case (DenseColumn.ValuesFieldNumber, ProtoWireReader.Fixed32) when IsDense:
                    reader.ReadFloat();
                    scan.Values++;
                    break;
                case (SparseColumn.IdsFieldNumber, ProtoWireReader.LengthDelimited) when !IsDense:
                    scan.Ids += ProtoWireReader.CountPackedVarints(reader.ReadLengthDelimited());
                    break;
                case (SparseColumn.IdsFieldNumber, ProtoWireReader.Varint) when !IsDense:
                    reader.ReadVarint();
                    scan.Ids++;
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return scan;
    }

    /// <summary>A sparse column's raw values, each as the UTF-8 it arrived in.</summary>
    public StringValues Strings => new(_bytes);

    /// <summary>A sparse column's pre-hashed ids.</summary>
    public IdValues Ids => new(_bytes);

    /// <summary>A dense column's values.</summary>
    public FloatValues Floats => new(_bytes);

    /// <summary>The <c>values</c> of a <c>SparseColumn</c>: one length-delimited field per value.</summary>
    public ref struct StringValues(ReadOnlySpan<byte> column)
    {
        private ProtoWireReader _reader = new(column, ColumnDepth);

        public ReadOnlySpan<byte> Current { get; private set; }

        public readonly StringValues GetEnumerator() => this;

        public bool MoveNext()
        {
            while (_reader.TryReadTag(out var field, out var wireType))
            {
                if (field == SparseColumn.ValuesFieldNumber && wireType == ProtoWireReader.LengthDelimited)
                {
                    Current = _reader.ReadLengthDelimited();
                    return true;
                }

                _reader.Skip(wireType);
            }

            return false;
        }
    }

    /// <summary>The <c>ids</c> of a <c>SparseColumn</c>, packed or one field each.</summary>
    public ref struct IdValues(ReadOnlySpan<byte> column)
    {
        private ProtoWireReader _reader = new(column, ColumnDepth);
        private ProtoWireReader _packed;

        public ulong Current { get; private set; }

        public readonly IdValues GetEnumerator() => this;

        public bool MoveNext()
        {
            while (true)
            {
                if (!_packed.End)
                {
                    Current = _packed.ReadVarint();
                    return true;
                }

                if (!_reader.TryReadTag(out var field, out var wireType))
                {
                    return false;
                }

                if (field == SparseColumn.IdsFieldNumber && wireType == ProtoWireReader.LengthDelimited)
                {
                    _packed = new ProtoWireReader(_reader.ReadLengthDelimited());
                }
                else if (field == SparseColumn.IdsFieldNumber && wireType == ProtoWireReader.Varint)
                {
                    Current = _reader.ReadVarint();
                    return true;
                }
                else
                {
                    _reader.Skip(wireType);
                }
            }
        }
    }

    /// <summary>The <c>values</c> of a <c>DenseColumn</c>, packed or one fixed32 field each.</summary>
    public ref struct FloatValues(ReadOnlySpan<byte> column)
    {
        private ProtoWireReader _reader = new(column, ColumnDepth);
        private ProtoWireReader _packed;

        public float Current { get; private set; }

        public readonly FloatValues GetEnumerator() => this;

        public bool MoveNext()
        {
            while (true)
            {
                if (!_packed.End)
                {
                    Current = _packed.ReadFloat();
                    return true;
                }

                if (!_reader.TryReadTag(out var field, out var wireType))
                {
                    return false;
                }

                if (field == DenseColumn.ValuesFieldNumber && wireType == ProtoWireReader.LengthDelimited)
                {
                    _packed = new ProtoWireReader(_reader.ReadLengthDelimited());
                }
                else if (field == DenseColumn.ValuesFieldNumber && wireType == ProtoWireReader.Fixed32)
                {
                    Current = _reader.ReadFloat();
                    return true;
                }
                else
                {
                    _reader.Skip(wireType);
                }
            }
        }
    }
}

/// <summary>A column's name and value counts, read before its values are written.</summary>
internal ref struct ColumnScan
{
    public ReadOnlySpan<byte> Name;
    public int Values;
    public int Ids;
}
