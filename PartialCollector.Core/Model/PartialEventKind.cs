namespace PartialCollector.Core.Model;

public enum PartialEventKind
{
    /// <summary>The span is still running: store or refresh it.</summary>
    Heartbeat,

    /// <summary>The span ended normally: forget it.</summary>
    Stop,
}
