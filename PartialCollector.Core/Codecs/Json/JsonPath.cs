using System.Globalization;
using System.Text;

namespace PartialCollector.Core.Codecs.Json;

/// <summary>
/// The reader's position as a stack of (field, array index) pairs, one per open object. Cheap to keep
/// up to date; only turned into text when an error is reported.
/// </summary>
internal sealed class JsonPath
{
    private JsonField[] fields = new JsonField[16];
    private int[] indexes = new int[16];
    private int depth;

    /// <summary>Entered an object: a new segment with no field yet.</summary>
    public void Enter()
    {
        if (depth == fields.Length)
        {
            Array.Resize(ref fields, depth * 2);
            Array.Resize(ref indexes, depth * 2);
        }

        fields[depth] = JsonField.None;
        indexes[depth] = -1;
        depth++;
    }

    public void Exit() => depth--;

    /// <summary>Now reading <paramref name="field"/> of the innermost object.</summary>
    public void SetField(JsonField field)
    {
        fields[depth - 1] = field;
        indexes[depth - 1] = -1;
    }

    /// <summary>Now reading element <paramref name="index"/> of the array held by the current field.</summary>
    public void SetIndex(int index) => indexes[depth - 1] = index;

    public override string ToString()
    {
        var text = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            if (fields[i] == JsonField.None)
            {
                continue;
            }

            if (text.Length > 0)
            {
                text.Append('.');
            }

            text.Append(JsonFields.DisplayName(fields[i]));
            if (indexes[i] >= 0)
            {
                text.Append('[').Append(indexes[i].ToString(CultureInfo.InvariantCulture)).Append(']');
            }
        }

        return text.ToString();
    }
}
