namespace PartialCollector.AppHost;

internal static class PublishedEndpoints
{
    /// <summary>
    /// Publish mode gives every project a default <c>https</c> endpoint on the same target port as its first
    /// Kestrel endpoint (the Exporter's would share 4317 with <c>OtlpGrpc</c>, the Receiver's 8081 with
    /// <c>http</c>). The services listen in cleartext only (TLS ends at the ingress / mesh), so the manifest
    /// must not advertise a second binding on the same port: drop it.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithoutDefaultHttpsEndpoint(this IResourceBuilder<ProjectResource> project)
    {
        foreach (var https in project.Resource.Annotations.OfType<EndpointAnnotation>().Where(e => e.Name == "https").ToList())
        {
            project.Resource.Annotations.Remove(https);
        }

        return project;
    }
}
