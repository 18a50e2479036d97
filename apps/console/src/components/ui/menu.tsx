import { type ReactNode, type RefObject, useEffect, useId, useRef, useState } from "react";

export interface MenuItem {
  label: string;
  onSelect: () => void;
  tone?: "danger";
}

/**
 * A menu button (WAI-ARIA pattern): arrows move, Escape closes and returns focus, Tab leaves.
 * Closed, it is only its button: the list (a list of connections has one menu per row) mounts no
 * effect and no listener until a menu opens (`MenuList`).
 */
export function Menu({ label, items, children }: { label: string; items: MenuItem[]; children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const id = useId();
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
      {open && <MenuList id={id} label={label} items={items} button={button} setOpen={setOpen} onClose={close} />}
    </div>
  );
}

/** The open menu: focus goes to its first item; a press outside it (and outside its button) closes it. */
function MenuList({
  id,
  label,
  items,
  button,
  setOpen,
  onClose,
}: {
  id: string;
  label: string;
  items: MenuItem[];
  button: RefObject<HTMLButtonElement | null>;
  setOpen: (open: boolean) => void;
  onClose: (refocus: boolean) => void;
}) {
  const list = useRef<HTMLDivElement>(null);
  const focusItem = (index: number) => {
    const all = list.current?.querySelectorAll<HTMLElement>("[role=menuitem]");
    if (!all?.length) return;
    all[(index + all.length) % all.length]?.focus();
  };
  useEffect(() => {
    list.current?.querySelector<HTMLElement>("[role=menuitem]")?.focus();
    const onDown = (e: MouseEvent) => {
      if (!list.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [button, setOpen]);
  return (
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
        else if (e.key === "Escape") onClose(true);
        else if (e.key === "Tab") onClose(false);
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
            onClose(true);
            item.onSelect();
          }}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}
