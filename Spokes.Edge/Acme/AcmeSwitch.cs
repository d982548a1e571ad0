using Spokes.Acme;

namespace Spokes.Edge.Acme;

/// <summary>
/// Whether this node wants an ACME certificate now, and for which account: <c>tls.useLE</c> at start, then the
/// console's TLS choice (set by <see cref="Tls.TlsApplier"/>). The renewer idles while it is off, and installs a
/// certificate only while it is on — atomically with respect to <see cref="Set"/>, so an order finishing just
/// after the operator chose another mode cannot overwrite that mode's certificate.
/// </summary>
public sealed class AcmeSwitch(bool wanted, string email)
{
    private readonly Lock _gate = new();
    private bool _wanted = wanted;
    private string _email = email;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Wanted { get { lock (_gate) return _wanted; } }

    public string Email { get { lock (_gate) return _email; } }

    /// <summary>Completes at the next <see cref="Set"/>; read it before <see cref="Wanted"/> so no change is missed.</summary>
    public Task Changed { get { lock (_gate) return _changed.Task; } }

    /// <summary>Turns the renewer on or off; <paramref name="whileHeld"/> (the other mode's certificate swap) runs
    /// under the same lock as the renewer's installs.</summary>
    public void Set(bool wanted, string email, Action? whileHeld = null)
    {
        TaskCompletionSource fired;
        lock (_gate)
        {
            (_wanted, _email) = (wanted, email);
            whileHeld?.Invoke();
            fired = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        fired.TrySetResult();
    }

    /// <summary>Runs <paramref name="install"/> only while ACME is wanted; false when it was not run.</summary>
    public bool RunIfWanted(Action install)
    {
        lock (_gate)
        {
            if (!_wanted) return false;
            install();
            return true;
        }
    }
}
