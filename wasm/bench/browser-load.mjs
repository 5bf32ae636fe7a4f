// Load time of the npm package in headless Chromium: the example page served on loopback
// (examples/browser-app/serve.mjs), a fresh browser context (empty cache) per run; the
// page measures `await init()` (fetch, compile and instantiate the .wasm).
//   cargo xtask wasm && node wasm/bench/browser-load.mjs [runs]
import { chromium } from "playwright-core";
import { serve } from "../../examples/browser-app/serve.mjs";

const runs = Number(process.argv[2] ?? 15);
const app = await serve({ port: 0 });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_BIN || "/usr/bin/chromium",
  chromiumSandbox: false,
  args: ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const init = [];
const ready = [];
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${app.url}/`);
  await page.locator("#connect").waitFor();
  const measure = await page.evaluate(() => {
    const [entry] = performance.getEntriesByName("cms-interop-init", "measure");
    return { duration: entry.duration, end: entry.startTime + entry.duration };
  });
  init.push(measure.duration);
  ready.push(measure.end);
  await context.close();
}
await browser.close();
await app.close();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const range = (values) => `${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)} ms`;
console.log(`runs: ${runs}`);
console.log(`init (fetch + compile + instantiate): median ${median(init).toFixed(1)} ms, ${range(init)}`);
console.log(`page start to package ready: median ${median(ready).toFixed(1)} ms, ${range(ready)}`);
