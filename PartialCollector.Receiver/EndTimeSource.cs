namespace PartialCollector.Receiver;

public enum EndTimeSource
{
    /// <summary>The last heartbeat: the moment the span was last known to be alive.</summary>
    LastHeartbeat,

    /// <summary>The moment the receiver collected it, as the original implementation does.</summary>
    CollectionTime,
}
