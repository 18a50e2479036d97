import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/app";
import { prefetchForLocation } from "./app/prefetch";
import "./styles.css";

// The first requests start now, alongside the route's lazy chunks, not after them.
prefetchForLocation(new URL(window.location.href));

const root = document.getElementById("root");
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
