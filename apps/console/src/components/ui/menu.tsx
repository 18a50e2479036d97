import { type ReactNode, useEffect, useId, useRef, useState } from "react";

export interface MenuItem {
  label: string;
  onSelect: () => void;
  tone?: "danger";
}

/** A menu button (WAI-ARIA pattern): arrows move, Escape closes and returns focus, Tab leaves. */
export function Menu({ label, items, children }: { label: string; items: MenuItem[]; children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const id = useId();
  const focusItem = (index: number) => {
    const all = list.current?.querySelectorAll<HTMLElement>("[role=menuitem]");
    if (!all?.length) return;
    all[(index + all.length) % all.length]?.focus();
  };
  useEffect(() => {
    if (!open) return;
    focusItem(0);
    const onDown = (e: MouseEvent) => {
      if (!list.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [open]);
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  return (
    <div className="menu">
      <button
        ref={button}
        type="button"
        className="btn btn-ghost btn-sm"
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        {children}
      </button>
      {open && (
        <div
          ref={list}
          id={id}
          role="menu"
          aria-label={label}
          className="menu-list"
          onKeyDown={(e) => {
            const all = Array.from(list.current?.querySelectorAll<HTMLElement>("[role=menuitem]") ?? []);
            const at = all.indexOf(document.activeElement as HTMLElement);
            if (e.key === "ArrowDown") focusItem(at + 1);
            else if (e.key === "ArrowUp") focusItem(at - 1);
            else if (e.key === "Home") focusItem(0);
            else if (e.key === "End") focusItem(-1);
            else if (e.key === "Escape") close(true);
            else if (e.key === "Tab") close(false);
            else return;
            e.preventDefault();
          }}
        >
          {items.map((item) => (
            <button
              key={item.label}
              type="button"
              role="menuitem"
              tabIndex={-1}
              className={`menu-item${item.tone === "danger" ? " menu-item-danger" : ""}`}
              onClick={() => {
                close(true);
                item.onSelect();
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
