import { useEffect } from "react";
import { useBlocker } from "react-router";
import { Dialog } from "../../../components/ui/dialog";

/** Asks before leaving a form with unsaved changes: in-app navigation (dialog) and tab close (browser prompt). */
export function UnsavedChangesGuard({ when }: { when: boolean }) {
  const blocker = useBlocker(({ currentLocation, nextLocation }) => when && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (!when) return;
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, [when]);
  return (
    <Dialog
      open={blocker.state === "blocked"}
      title="Discard unsaved changes?"
      onClose={() => blocker.reset?.()}
      actions={
        <>
          <button type="button" className="btn btn-secondary" onClick={() => blocker.reset?.()} data-autofocus>
            Keep editing
          </button>
          <button type="button" className="btn btn-danger" onClick={() => blocker.proceed?.()}>
            Discard changes
          </button>
        </>
      }
    >
      <p>You have changes that are not saved. If you leave this page they are lost.</p>
    </Dialog>
  );
}
