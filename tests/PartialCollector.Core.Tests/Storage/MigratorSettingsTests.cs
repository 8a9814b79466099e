using PartialCollector.Migrator;
using PartialCollector.TestSupport;

namespace PartialCollector.Core.Tests.Storage;

public sealed class MigratorSettingsTests
{
    [Fact]
    public void TheReadmesDefaultsAreTheOptionsDefaults()
    {
        var (documented, wrong) = DocumentedDefaults.Check<MigratorOptions>(MigratorOptions.Section);

        Assert.Empty(wrong);
        Assert.Equal(2, documented.Count);
    }
}
