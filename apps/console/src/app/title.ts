import { useEffect } from "react";

/** Sets the document title: "<page> · OIDC connections". */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · OIDC connections`;
  }, [title]);
}
