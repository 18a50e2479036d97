import { useEffect, useRef, useState } from "react";

/** Puts text on the clipboard; throws when the browser refuses. */
export async function writeClipboard(text: string) {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Fallback for insecure contexts: a hidden textarea and execCommand.
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy failed");
}

/** Copies `text`; the button itself says "Copied" for a moment, and a live region announces it. */
export function CopyButton({ text, label, className = "btn btn-secondary btn-sm" }: { text: string; label: string; className?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const timer = useRef<number>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  return (
    <>
      <button
        type="button"
        className={className}
        aria-label={state === "copied" ? `${label}: copied` : label}
        onClick={async () => {
          try {
            await writeClipboard(text);
            setState("copied");
          } catch {
            setState("failed");
          }
          window.clearTimeout(timer.current);
          timer.current = window.setTimeout(() => setState("idle"), 2500);
        }}
      >
        {state === "copied" ? "✓ Copied" : state === "failed" ? "Copy failed" : "Copy"}
      </button>
      <span className="visually-hidden" role="status">
        {state === "copied" ? "Copied to the clipboard" : state === "failed" ? "Could not copy; select the text and copy it by hand" : ""}
      </span>
    </>
  );
}
