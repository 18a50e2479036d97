import { chromium } from "@playwright/test";

const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await browser.newPage();
page.on("console", (m) => console.log("console:", m.type(), m.text()));
page.on("pageerror", (e) => console.log("pageerror:", e.message));
page.on("requestfailed", (r) => console.log("failed:", r.url()));
page.on("response", (r) => console.log("resp:", r.status(), r.url()));
await page.goto(process.argv[2] ?? "http://localhost:3299/");
await page.waitForTimeout(2000);
console.log(page.url());
console.log((await page.content()).slice(0, 1500));
await browser.close();
