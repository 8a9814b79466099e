namespace PartialCollector.Bench;

/// <summary>Where the collection run's expired rows lie in the seeded table's heap.</summary>
public enum ExpiredLayout
{
    /// <summary>
    /// The expired rows first, packed into the first tenth of the heap: the best case for a statement that only
    /// deletes, since each page it touches holds only rows it deletes.
    /// </summary>
    Contiguous,

    /// <summary>
    /// Every tenth row expired, spread evenly through the heap, as crashed spans lie in a table that has run a
    /// while (a crash takes the spans one process had running, started at different times among everyone
    /// else's): each page a delete touches also holds live rows.
    /// </summary>
    Scattered,
}
