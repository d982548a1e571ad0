namespace Spokes.Actors.Entities;

public static class JournalTags
{
    /// <summary>Every Spokes event carries this tag: the catalog and the audit listing read it.</summary>
    public const string All = "spokes";
}
