using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PartialCollector.Core.Model;
using PartialCollector.Exporter.Tests.Infrastructure;
using PartialCollector.TestSupport;
using static PartialCollector.TestSupport.PartialLogs;

namespace PartialCollector.Exporter.Tests;

/// <summary>
/// TLS and mTLS on the Exporter's endpoints, configured the way the README documents it: Kestrel's own endpoint
/// keys (<c>Kestrel:Endpoints:OtlpGrpc:Url=https://…</c>, <c>…:Certificate:Path</c> / <c>…:Password</c>) with a
/// self-signed certificate made here and written to a PFX file. Over TLS a tenant's bearer key is still needed;
/// over mTLS a client certificate whose thumbprint a tenant pins (<c>ClientCertificateThumbprints:{i}</c>) is the
/// tenant's credential while it is valid, and any other certificate is refused.
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private const string PfxPassword = "pfx-password-of-the-test";
    private const string TlsKey = "key-for-the-tls-team-0123456789";
    private const string KeyOfAnotherTenant = "key-for-the-key-team-0123456789";

    private readonly string folder = Path.Combine(Path.GetTempPath(), "partialcollector-tls-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly X509Certificate2 server = ServerCertificate();
    private readonly X509Certificate2 client = ClientCertificate("CN=cert-team client");
    private readonly X509Certificate2 stranger = ClientCertificate("CN=nobody's client");
    private readonly X509Certificate2 expired = ClientCertificate("CN=expired client", DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(-1));
    private ExporterHost tls = null!;
    private ExporterHost mtls = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(folder);
        var pfx = Path.Combine(folder, "exporter.pfx");
        await File.WriteAllBytesAsync(pfx, server.Export(X509ContentType.Pfx, PfxPassword));

        // Both endpoints take the same certificate; the URLs are made https by the host (on its free ports).
        Dictionary<string, string?> Https(Dictionary<string, string?> tenants)
        {
            foreach (var endpoint in new[] { "OtlpGrpc", "OtlpHttp" })
            {
                tenants[$"Kestrel:Endpoints:{endpoint}:Certificate:Path"] = pfx;
                tenants[$"Kestrel:Endpoints:{endpoint}:Certificate:Password"] = PfxPassword;
            }

            return tenants;
        }

        tls = await ExporterHost.StartAsync(Https(new() { ["PartialExporter:Tenants:tls-team:ApiKeys:0"] = TlsKey }), scheme: "https");
        mtls = await ExporterHost.StartAsync(
            Https(new()
            {
                // As `openssl x509 -noout -fingerprint -sha1` prints it: colons and case do not matter.
                ["PartialExporter:Tenants:cert-team:ClientCertificateThumbprints:0"] = Colons(client.Thumbprint),
                ["PartialExporter:Tenants:cert-team:ClientCertificateThumbprints:1"] = expired.Thumbprint,
                ["PartialExporter:Tenants:key-team:ApiKeys:0"] = KeyOfAnotherTenant,
            }),
            scheme: "https");
    }

    public async Task DisposeAsync()
    {
        await tls.DisposeAsync();
        await mtls.DisposeAsync();
        server.Dispose();
        client.Dispose();
        stranger.Dispose();
        expired.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OverTlsTheTenantsKeyIsStillRequired(bool overHttp)
    {
        var handshakes = new Handshakes(server);
        using var anonymous = new LogsClient(tls, handler: () => handshakes.Handler(certificate: null));
        using var tenant = new LogsClient(tls, TlsKey, () => handshakes.Handler(certificate: null));
        var (refused, stored) = (Spans.NewKey(), Spans.NewKey());

        var none = await anonymous.SendAsync(Request(Heartbeat(Traces(refused))), overHttp);
        var good = await tenant.SendAsync(Request(Heartbeat(Traces(stored))), overHttp);

        Assert.Equal(401, none.Status);
        if (!overHttp)
        {
            Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, none.GrpcStatus);
        }

        Assert.True(good.Acknowledged && good.Rejected == 0, good.ToString());
        Assert.True(handshakes.Count >= 2, $"the server presented the test's certificate {handshakes.Count} times");
        Assert.Null(await tls.Table.FindAsync(refused));
        Assert.Equal("tls-team", await TenantOfAsync(tls, stored));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OverMtlsAPinnedClientCertificateIsTheTenantsCredential(bool overHttp)
    {
        var handshakes = new Handshakes(server);
        using var pinned = new LogsClient(mtls, handler: () => handshakes.Handler(client));
        var key = Spans.NewKey();

        var answer = await pinned.SendAsync(Request(Heartbeat(Traces(key))), overHttp);

        Assert.True(answer.Acknowledged && answer.Rejected == 0, answer.ToString());
        Assert.Equal("cert-team", await TenantOfAsync(mtls, key));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OverMtlsACertificateNoTenantPinsOrNoCredentialAtAllIsRefused(bool overHttp)
    {
        var handshakes = new Handshakes(server);
        using var unknown = new LogsClient(mtls, handler: () => handshakes.Handler(stranger));
        using var anonymous = new LogsClient(mtls, handler: () => handshakes.Handler(certificate: null));
        var (fromStranger, fromNobody) = (Spans.NewKey(), Spans.NewKey());

        var strangerAnswer = await unknown.SendAsync(Request(Heartbeat(Traces(fromStranger))), overHttp);
        var anonymousAnswer = await anonymous.SendAsync(Request(Heartbeat(Traces(fromNobody))), overHttp);

        Assert.Equal(401, strangerAnswer.Status);
        Assert.Equal(401, anonymousAnswer.Status);
        if (!overHttp)
        {
            Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, strangerAnswer.GrpcStatus);
            Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, anonymousAnswer.GrpcStatus);
        }

        Assert.Contains("certificate", strangerAnswer.Detail);
        Assert.Contains("Bearer", anonymousAnswer.Detail);
        Assert.Null(await mtls.Table.FindAsync(fromStranger));
        Assert.Null(await mtls.Table.FindAsync(fromNobody));

        // The same Exporter still takes its other tenant's key from a client without a certificate.
        using var keyed = new LogsClient(mtls, KeyOfAnotherTenant, () => handshakes.Handler(certificate: null));
        var stored = Spans.NewKey();
        Assert.True((await keyed.SendAsync(Request(Heartbeat(Traces(stored))), overHttp)).Acknowledged);
        Assert.Equal("key-team", await TenantOfAsync(mtls, stored));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OverMtlsAPinnedCertificateThatHasExpiredIsRefused(bool overHttp)
    {
        var handshakes = new Handshakes(server);
        using var stale = new LogsClient(mtls, handler: () => handshakes.Handler(expired));
        var key = Spans.NewKey();

        var answer = await stale.SendAsync(Request(Heartbeat(Traces(key))), overHttp);

        Assert.Equal(401, answer.Status);
        if (!overHttp)
        {
            Assert.Equal(Grpc.Core.StatusCode.Unauthenticated, answer.GrpcStatus);
        }

        Assert.Contains("not valid now", answer.Detail);
        Assert.Null(await mtls.Table.FindAsync(key));
    }

    private static Task<string> TenantOfAsync(ExporterHost exporter, SpanKey key) => Poll.UntilAsync(
        () => exporter.Table.ScalarAsync<string>(
            "SELECT coalesce((SELECT tenant FROM partial_traces WHERE trace_id = @t AND span_id = @s), '')", ("t", key.TraceId), ("s", key.SpanId)),
        tenant => tenant.Length > 0,
        TimeSpan.FromSeconds(10),
        $"the row of {key} and its tenant");

    private static string Colons(string thumbprint) => string.Join(':', Convert.FromHexString(thumbprint).Select(b => b.ToString("x2")));

    /// <summary>Self-signed, for the names the tests dial: 127.0.0.1 and localhost.</summary>
    private static X509Certificate2 ServerCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return Reloaded(request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1)));
    }

    private static X509Certificate2 ClientCertificate(string subject) =>
        ClientCertificate(subject, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));

    private static X509Certificate2 ClientCertificate(string subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        return Reloaded(request.CreateSelfSigned(notBefore, notAfter));
    }

    /// <summary>Through PKCS#12 and back, so the private key is one TLS can use (as a certificate loaded from a file).</summary>
    private static X509Certificate2 Reloaded(X509Certificate2 created)
    {
        using (created)
        {
            return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
        }
    }

    /// <summary>
    /// Client handlers that trust the test's server certificate and nothing else: a chain built with it as the
    /// only root, and the name checked as usual. Counts the handshakes that presented it.
    /// </summary>
    private sealed class Handshakes(X509Certificate2 trusted)
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public HttpMessageHandler Handler(X509Certificate2? certificate)
        {
            var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = Validate };
            if (certificate is not null)
            {
                handler.ClientCertificateOptions = ClientCertificateOption.Manual;
                handler.ClientCertificates.Add(certificate);
            }

            return handler;
        }

        private bool Validate(HttpRequestMessage request, X509Certificate2? presented, X509Chain? chain, SslPolicyErrors errors)
        {
            if (presented is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            {
                return false;
            }

            using var custom = new X509Chain();
            custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            custom.ChainPolicy.CustomTrustStore.Add(trusted);
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (!custom.Build(presented))
            {
                return false;
            }

            Interlocked.Increment(ref count);
            return true;
        }
    }
}
