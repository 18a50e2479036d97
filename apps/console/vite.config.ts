import react from "@vitejs/plugin-react";
import { defineConfig, type HtmlTagDescriptor, type Plugin } from "vite";

/**
 * The lazy routes whose code every signed-in first load needs: the shell (app-root) and the
 * connections list, where sign-in and "/" lead. Without a hint the browser asks for their chunks
 * only once the entry has run and the router has matched the URL (a second round of requests after
 * the first); `<link rel="modulepreload">` in index.html fetches and compiles them alongside the
 * entry. They are still only evaluated when a route imports them, so other pages pay only the
 * download.
 */
const PRELOADED_ROUTES = ["src/app/routes/app-root.tsx", "src/app/routes/connections/list.tsx"];

function preloadRoutes(routes: string[]): Plugin {
  return {
    name: "console:preload-routes",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler(html, { bundle }) {
        if (!bundle) return html;
        const chunks = Object.values(bundle).flatMap((o) => (o.type === "chunk" ? [o] : []));
        const byFile = new Map(chunks.map((c) => [c.fileName, c]));
        const files = new Set<string>();
        const add = (file: string) => {
          if (files.has(file)) return;
          files.add(file);
          for (const dep of byFile.get(file)?.imports ?? []) add(dep);
        };
        for (const route of routes) {
          const chunk = chunks.find((c) => c.facadeModuleId?.endsWith(`/${route}`));
          if (!chunk) throw new Error(`preload-routes: no chunk for ${route}`);
          add(chunk.fileName);
        }
        // What Vite already links (the entry and its static imports) stays as it is.
        const tags: HtmlTagDescriptor[] = [...files]
          .filter((file) => !html.includes(`/${file}"`))
          .map((file) => ({ tag: "link", attrs: { rel: "modulepreload", crossorigin: true, href: `/${file}` }, injectTo: "head" }));
        return { html, tags };
      },
    },
  };
}

// The server serves dist/ (hashed assets under /assets); in development, /api goes to the server.
export default defineConfig({
  plugins: [react(), preloadRoutes(PRELOADED_ROUTES)],
  build: { outDir: "dist", manifest: true, sourcemap: false, target: "es2022" },
  server: {
    proxy: {
      "/api": "http://localhost:3000",
      "/oauth": "http://localhost:3000",
      "/dev-issuer": "http://localhost:3000",
    },
  },
});
