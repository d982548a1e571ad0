using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Spokes.Acme;
using Spokes.Edge.Acme;

namespace Spokes.Tests.Edge.Acme;

/// <summary>Nonce handling against a scripted server: newNonce only when no nonce is at hand, badNonce retried with the error's nonce.</summary>
public sealed class AcmeClientNonceTests
{
    [Fact]
    public async Task A_bad_nonce_is_retried_with_the_nonce_of_the_error_response()
    {
        var nonces = new List<string>();
        var heads = 0;
        using var handler = new ScriptedHandler(async request =>
        {
            var path = request.RequestUri!.AbsolutePath;
            if (path == "/dir")
                return Json(HttpStatusCode.OK, """{"newNonce":"https://acme.test/nonce","newAccount":"https://acme.test/acct","newOrder":"https://acme.test/order"}""");
            if (path == "/nonce" && request.Method == HttpMethod.Head)
            {
                heads++;
                return WithNonce(new HttpResponseMessage(HttpStatusCode.OK), "n1");
            }
            var jws = JsonNode.Parse(await request.Content!.ReadAsStringAsync())!;
            var header = JsonNode.Parse(Jws.FromBase64Url(jws["protected"]!.GetValue<string>()))!;
            nonces.Add(header["nonce"]!.GetValue<string>());
            Assert.Equal("application/jose+json", request.Content.Headers.ContentType!.MediaType);
            if (nonces.Count == 1)
                return WithNonce(Json(HttpStatusCode.BadRequest, """{"type":"urn:ietf:params:acme:error:badNonce","detail":"stale","status":400}"""), "n2");
            var created = WithNonce(Json(HttpStatusCode.Created, """{"status":"valid"}"""), "n3");
            created.Headers.Location = new Uri("https://acme.test/acct/1");
            return created;
        });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = new AcmeClient(new Uri("https://acme.test/dir"), key, new AcmeChallengeStore(), handler);

        Assert.Equal("https://acme.test/acct/1", await client.RegisterAsync("ops@example.com", CancellationToken.None));
        Assert.Equal(["n1", "n2"], nonces);
        Assert.Equal(1, heads);
        Assert.Equal(1, client.BadNonceRetries);
    }

    [Fact]
    public async Task Other_problems_are_not_retried_and_name_the_type()
    {
        var posts = 0;
        using var handler = new ScriptedHandler(request =>
        {
            var path = request.RequestUri!.AbsolutePath;
            if (path == "/dir")
                return Task.FromResult(Json(HttpStatusCode.OK, """{"newNonce":"https://acme.test/nonce","newAccount":"https://acme.test/acct","newOrder":"https://acme.test/order"}"""));
            if (request.Method == HttpMethod.Head) return Task.FromResult(WithNonce(new HttpResponseMessage(HttpStatusCode.OK), "n"));
            posts++;
            return Task.FromResult(WithNonce(Json(HttpStatusCode.Forbidden,
                """{"type":"urn:ietf:params:acme:error:unauthorized","detail":"no","status":403}"""), "m"));
        });
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = new AcmeClient(new Uri("https://acme.test/dir"), key, new AcmeChallengeStore(), handler);

        var error = await Assert.ThrowsAsync<AcmeException>(() => client.RegisterAsync(null, CancellationToken.None));
        Assert.Contains("urn:ietf:params:acme:error:unauthorized", error.Message);
        Assert.Equal(1, posts);
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, status == HttpStatusCode.OK || (int)status < 300 ? "application/json" : "application/problem+json") };

    private static HttpResponseMessage WithNonce(HttpResponseMessage response, string nonce)
    {
        response.Headers.Add("Replay-Nonce", nonce);
        return response;
    }

    private sealed class ScriptedHandler(Func<HttpRequestMessage, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await answer(request);
            response.RequestMessage = request;
            return response;
        }
    }
}
