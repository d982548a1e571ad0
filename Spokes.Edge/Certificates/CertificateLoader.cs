using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Spokes.Edge.Certificates;

/// <summary>Loads an operator's certificate (<c>tls.certificate</c> / <c>tls.privateKey</c>) from PEM files.</summary>
internal static class CertificateLoader
{
    /// <summary>The leaf certificate of <paramref name="certPath"/> with the key of <paramref name="keyPath"/>; throws when unreadable or mismatched.</summary>
    public static X509Certificate2 LoadPem(string certPath, string keyPath) =>
        X509Certificate2.CreateFromPemFile(certPath, keyPath);

    /// <summary>As <see cref="LoadPem"/>, with a one-line error instead of an exception.</summary>
    public static bool TryLoadPem(string certPath, string keyPath, out X509Certificate2? certificate, out string? error)
    {
        certificate = null;
        error = null;
        try
        {
            certificate = LoadPem(certPath, keyPath);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            error = $"cannot load certificate {certPath} with key {keyPath}: {e.Message.ReplaceLineEndings(" ")}";
            return false;
        }
    }

    /// <summary>As <see cref="TryLoadPem"/> for PEM text (an upload): the leaf, its key and the rest of the chain.</summary>
    public static bool TryLoadPemText(string certificatePem, string keyPem, out X509Certificate2? certificate,
        out X509Certificate2Collection intermediates, out string? error)
    {
        certificate = null;
        intermediates = [];
        error = null;
        try
        {
            certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
            var all = new X509Certificate2Collection();
            all.ImportFromPem(certificatePem);
            for (var i = 1; i < all.Count; i++) intermediates.Add(all[i]);
            return true;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            error = $"cannot load the certificate with this key: {e.Message.ReplaceLineEndings(" ").TrimEnd()}";
            return false;
        }
    }

    /// <summary>The certificates after the first one in <paramref name="certPath"/>: the chain to send with the leaf.</summary>
    public static X509Certificate2Collection LoadChain(string certPath)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certPath);
        var chain = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++) chain.Add(all[i]);
        return chain;
    }
}
