namespace CimiGrains.Common;

/// <summary>
/// Which of a registered type's HTTP routes the Gateway generates. Reading, updating and deleting
/// a stored resource is the same for every type; only creation (and the Machine's operations) differ.
/// </summary>
public enum CimiRouting
{
    /// <summary>All routes generated: list, read, update, delete, and POST of the record itself to create.</summary>
    Plain,

    /// <summary>List, read, update and delete generated; the family's API maps the collection POST (a Create document, a capture).</summary>
    CustomCreate,

    /// <summary>List, read, update and delete generated; only the provider creates, so the collection POST is a 405.</summary>
    ProviderCreated,

    /// <summary>The family's API maps every route (operations answered with a Job); only the collection segment comes from here.</summary>
    Custom,
}
