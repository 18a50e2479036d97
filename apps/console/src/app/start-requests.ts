import { prefetchForLocation } from "./prefetch";

// main.tsx imports this module first. ES modules run in import order, so the first requests (the
// signed-in user and, on the connections list, its first page) leave before React, the router and
// the rest of the entry are evaluated, not after (≈ 40–50 ms of the entry's evaluation on the
// project's 2-core machine).
prefetchForLocation(new URL(window.location.href));
