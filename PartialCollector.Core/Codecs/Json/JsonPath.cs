using System.Globalization;
using System.Text;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>
/// The reader's position as a stack of (field, array index) pairs, one per open object. Cheap to keep
/// up to date; only turned into text when an error is reported.
/// </summary>
internal sealed class JsonPath
{
    private JsonField[] _fields = new JsonField[16];
    private int[] _indexes = new int[16];
    private int _depth;

    /// <summary>Entered an object: a new segment with no field yet.</summary>
    public void Enter()
    {
        if (_depth == _fields.Length)
        {
            Array.Resize(ref _fields, _depth * 2);
            Array.Resize(ref _indexes, _depth * 2);
        }

        _fields[_depth] = JsonField.None;
        _indexes[_depth] = -1;
        _depth++;
    }

    public void Exit() => _depth--;

    /// <summary>Now reading <paramref name="field"/> of the innermost object.</summary>
    public void SetField(JsonField field)
    {
        _fields[_depth - 1] = field;
        _indexes[_depth - 1] = -1;
    }

    /// <summary>Now reading element <paramref name="index"/> of the array held by the current field.</summary>
    public void SetIndex(int index) => _indexes[_depth - 1] = index;

    public override string ToString()
    {
        var text = new StringBuilder();
        for (var i = 0; i < _depth; i++)
        {
            if (_fields[i] == JsonField.None)
            {
                continue;
            }

            if (text.Length > 0)
            {
                text.Append('.');
            }

            text.Append(JsonFields.DisplayName(_fields[i]));
            if (_indexes[i] >= 0)
            {
                text.Append('[').Append(_indexes[i].ToString(CultureInfo.InvariantCulture)).Append(']');
            }
        }

        return text.ToString();
    }
}
