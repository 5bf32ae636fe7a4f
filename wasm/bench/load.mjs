// Load time of the npm package, parseResource and summarizeEob speed beside JSON.parse,
// in Node:
//   cargo xtask wasm && node wasm/bench/load.mjs
import { readFileSync } from "node:fs";

const pkg = new URL("../pkg/", import.meta.url);
const start = performance.now();
const bytes = readFileSync(new URL("cms_interop_bg.wasm", pkg));
const wasm = await import(new URL("cms_interop.js", pkg));
await wasm.default({ module_or_path: bytes });
console.log(`load + compile + instantiate: ${(performance.now() - start).toFixed(1)} ms`);

const eob = readFileSync(new URL("../../examples/example-parse-eob/eob.json", import.meta.url), "utf8");
const time = (label, run, n) => {
  for (let i = 0; i < n / 10; i++) run(); // warm up
  const t = performance.now();
  for (let i = 0; i < n; i++) run();
  console.log(`${label}: ${(((performance.now() - t) / n) * 1000).toFixed(1)} µs per EOB (${eob.length} bytes)`);
};
time("parseResource", () => wasm.parseResource(eob), 5000);
time("summarizeEob (text)", () => wasm.summarizeEob(eob), 5000);
time("peer JSON.parse", () => JSON.parse(eob), 20000);
