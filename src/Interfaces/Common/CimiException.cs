namespace CimiGrains.Common;

/// <summary>
/// A domain error a grain raises for the caller. The Gateway maps each kind to one HTTP status in one
/// place; the message is written for the API consumer and must name the problem.
/// </summary>
[GenerateSerializer, Alias("cimi.CimiException")]
public sealed class CimiException : Exception
{
    public CimiException(CimiErrorKind kind, string message) : base(message) => Kind = kind;

    [Id(0)] public CimiErrorKind Kind { get; private set; }

    public static CimiException NotFound(string what) => new(CimiErrorKind.NotFound, $"{what} was not found.");
    public static CimiException Invalid(string message) => new(CimiErrorKind.Invalid, message);

    /// <summary>A 404 for an href in the request's body that names nothing of the tenant: another tenant's resource
    /// gets exactly the answer a missing one gets, as its id does in the URL. <paramref name="message"/> names the
    /// attribute and the href.</summary>
    public static CimiException MissingReference(string message) => new(CimiErrorKind.NotFound, message);
    public static CimiException Conflict(string message) => new(CimiErrorKind.Conflict, message);
}

/// <summary>Kinds of <see cref="CimiException"/>; each maps to one HTTP status code.</summary>
[GenerateSerializer]
public enum CimiErrorKind
{
    /// <summary>400: the request is well-formed but its content is wrong (a bad value, an href of the wrong type).</summary>
    Invalid,
    /// <summary>404: the resource of the URL, or one an href in the body names, is not the tenant's (or does not exist).</summary>
    NotFound,
    /// <summary>409: not allowed in the resource's current state.</summary>
    Conflict,
    /// <summary>503: the cluster cannot do it now (e.g. no host), though the request was fine.</summary>
    Unavailable,
}
