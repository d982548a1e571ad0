using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Spokes.Admin.Security;

namespace Spokes.Admin.Components.Shared;

/// <summary>Base of the interactive pages: who is acting (for the audit trail), and an optional refresh timer
/// for pages that show live state.</summary>
public abstract class ConsolePage : ComponentBase, IDisposable
{
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(2);

    [CascadingParameter] private Task<AuthenticationState>? AuthState { get; set; }
    private PeriodicTimer? _timer;
    private CancellationTokenSource? _stop;

    protected Task<string> ByAsync() => ConsoleClaims.AuthorOf(AuthState);

    /// <summary>The signed-in administrator's user id (null: nobody).</summary>
    protected async Task<string?> UserIdAsync() => AuthState is null ? null : ConsoleClaims.UserIdOf((await AuthState).User);

    protected virtual Task RefreshAsync() => Task.CompletedTask;

    /// <summary>Reloads the page's data every <see cref="RefreshEvery"/> while the circuit lives.</summary>
    protected void StartRefreshing()
    {
        if (_timer is not null) return;
        _timer = new PeriodicTimer(RefreshEvery);
        _stop = new CancellationTokenSource();
        _ = LoopAsync(_timer, _stop.Token);
    }

    private async Task LoopAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await InvokeAsync(async () =>
                {
                    await RefreshAsync();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop?.Cancel();
        _timer?.Dispose();
        _stop?.Dispose();
        GC.SuppressFinalize(this);
    }
}
