using Npgsql;

namespace PartialCollector.Core.Storage;

/// <summary>A statement and its positional parameters in one expression, for a command or one command of a batch.</summary>
internal static class NpgsqlCommandExtensions
{
    public static NpgsqlCommand WithParameters(this NpgsqlCommand command, params NpgsqlParameter[] parameters)
    {
        command.Parameters.AddRange(parameters);
        return command;
    }

    public static NpgsqlBatchCommand WithParameters(this NpgsqlBatchCommand command, params NpgsqlParameter[] parameters)
    {
        command.Parameters.AddRange(parameters);
        return command;
    }
}
