import { type ReactNode, useEffect, useId, useRef } from "react";

interface DialogProps {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Buttons; the first focusable element inside gets focus unless `initialFocus` is set. */
  actions: ReactNode;
  tone?: "default" | "danger";
}

/**
 * A modal built on <dialog>: the browser traps focus, Escape closes it, and focus goes back to
 * the control that opened it.
 */
export function Dialog({ open, title, onClose, children, actions, tone = "default" }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement;
      dialog.showModal?.();
      const auto = dialog.querySelector<HTMLElement>("[data-autofocus]");
      auto?.focus();
    } else if (!open && dialog.open) {
      dialog.close();
      if (opener.current instanceof HTMLElement && opener.current.isConnected) opener.current.focus();
    }
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={`dialog dialog-${tone}`}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open && (
        <div className="dialog-body">
          <h2 id={titleId} className="dialog-title">
            {title}
          </h2>
          <div className="dialog-content">{children}</div>
          <div className="dialog-actions">{actions}</div>
        </div>
      )}
    </dialog>
  );
}
