import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The server serves dist/ (hashed assets under /assets); in development, /api goes to the server.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", manifest: true, sourcemap: false, target: "es2022" },
  server: {
    proxy: {
      "/api": "http://localhost:3000",
      "/oauth": "http://localhost:3000",
      "/dev-issuer": "http://localhost:3000",
    },
  },
});
