namespace ComplianceWatch.Core.Pipeline;

/// <summary>
/// Something the checks of one run share and that must not outlive it (the browser of rendered sources): a run enters
/// it when it starts and disposes the returned handle when it ends; the resource is released once no run holds it.
/// Opening the resource itself is left to its first use, so a run that needs none costs nothing.
/// </summary>
public interface IRunResource
{
    IAsyncDisposable EnterRun();
}
