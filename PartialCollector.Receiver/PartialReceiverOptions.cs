namespace PartialCollector.Receiver;

/// <summary>Configuration section <c>PartialReceiver</c>. Durations accept Go syntax (<c>5s</c>) or hh:mm:ss.</summary>
public sealed class PartialReceiverOptions
{
    public const string Section = "PartialReceiver";

    /// <summary>
    /// Time between collection cycles (a cycle drains everything that is due before it waits again). Named as the
    /// original's setting, which users know; the activity is collection everywhere else.
    /// </summary>
    public TimeSpan GcInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Random spread of each wait, ± this much; null means 10 % of <see cref="GcInterval"/>.</summary>
    public TimeSpan? Jitter { get; set; }

    /// <summary>Most rows claimed, and spans sent in one export request, at a time.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>
    /// Most bytes of one serialized export request: a claimed batch goes out in as many requests as this needs.
    /// Below the 4 MiB that OTLP gRPC servers (the Collector, Grpc.Net) accept by default.
    /// </summary>
    public int MaxBatchBytes { get; set; } = 3 * 1024 * 1024;

    /// <summary>How long rows stay in <c>partial_dead_letters</c> before each cycle purges them.</summary>
    public TimeSpan DeadLetterRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long the record of a collected span (partial_collected, what the live view lists as crashed) is kept.</summary>
    public TimeSpan CollectedRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Most records of collected spans kept, newest first, whatever their age: a crash storm cannot fill the disk.</summary>
    public int CollectedMaxRows { get; set; } = 100_000;

    /// <summary>Services that get a series of their own in <c>partial.spans.crashed</c>; the rest count as <c>other</c>.</summary>
    public int MaxServiceSeries { get; set; } = 50;

    /// <summary>How long a claim keeps other receivers off its rows; must outlast one downstream send.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Export requests a cycle has in flight at once (1-64): the claimers feed this many senders (see
    /// <see cref="Collection.CycleDrain"/>), so claims and settles overlap sends and the database and the downstream
    /// are busy at the same time. Up to twice this many batches, plus one per claimer, are in memory.
    /// </summary>
    public int Concurrency { get; set; } = 3;

    /// <summary>
    /// Claims a draining cycle has in flight at once (1-16). A claim is the database's work (it moves a batch of spans
    /// to their crash records), so one claimer keeps one PostgreSQL backend busy at most; more let a backlog use more
    /// of the database's cores. The second and later claimers start only once a claim comes back full, so an idle
    /// cycle stays one claim.
    /// </summary>
    public int Claimers { get; set; } = 2;

    /// <summary>Which time a collected span ends at.</summary>
    public EndTimeSource EndTime { get; set; } = EndTimeSource.LastHeartbeat;

    /// <summary>Turns an unset status into ERROR, so the crash stands out in the tracing backend.</summary>
    public bool MarkAsError { get; set; } = true;

    /// <summary>Cap of the exponential back-off after failed cycles.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(1);

    public DownstreamOptions Downstream { get; set; } = new();

    public TimeSpan EffectiveJitter => Jitter ?? GcInterval / 10;
}
