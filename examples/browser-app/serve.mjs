// Serves the example page and the npm package it imports, on loopback:
//
//   cargo xtask wasm                          # builds wasm/pkg/
//   node examples/browser-app/serve.mjs       # http://127.0.0.1:8765/
//
// `/` and `/callback` (the redirect URI `payer-server demo` registers for `demo-app`) are
// the page; `/pkg/` is `wasm/pkg/`. No dependencies: Node's http module only.

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { extname, join, normalize, resolve as resolvePath, sep } from "node:path";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const DEFAULT_PKG = fileURLToPath(new URL("../../wasm/pkg/", import.meta.url));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".ts": "text/plain; charset=utf-8",
};

// The page runs under a strict policy: scripts from this origin only, WebAssembly
// compilation allowed, no inline code; FHIR requests may go to any payer.
const HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src *; " +
    "img-src 'self' data:; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

/** The file for a URL path, or `null` (never outside the two folders). */
function resolve(pathname, pkgDir) {
  if (pathname === "/" || pathname === "/callback") return join(HERE, "index.html");
  if (pathname === "/app.js" || pathname === "/style.css") return join(HERE, pathname.slice(1));
  if (pathname.startsWith("/pkg/")) {
    const file = normalize(join(pkgDir, decodeURIComponent(pathname.slice("/pkg/".length))));
    return file.startsWith(normalize(pkgDir + sep)) ? file : null;
  }
  return null;
}

/**
 * Starts the server; resolves to `{ url, close }` once it listens.
 * `port` 0 picks a free one.
 */
export function serve({ host = "127.0.0.1", port = 8765, pkgDir = DEFAULT_PKG } = {}) {
  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url, "http://localhost");
    const file = request.method === "GET" || request.method === "HEAD" ? resolve(pathname, pkgDir) : null;
    try {
      if (!file) throw Object.assign(new Error("not found"), { code: "ENOENT" });
      const body = await readFile(file);
      response.writeHead(200, { ...HEADERS, "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      response.end(request.method === "HEAD" ? undefined : body);
    } catch (error) {
      const missing = error.code === "ENOENT" || error.code === "EISDIR";
      response.writeHead(missing ? 404 : 500, { ...HEADERS, "content-type": "text/plain; charset=utf-8" });
      response.end(missing ? `not found: ${pathname}\n` : "server error\n");
      if (!missing) console.error(error);
    }
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolvePromise({
        url: `http://${host}:${address.port}`,
        close: () => new Promise((done) => server.close(done)),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolvePath(process.argv[1])) {
  const port = Number(process.env.PORT ?? 8765);
  try {
    await readFile(join(DEFAULT_PKG, "cms_interop.js"));
  } catch {
    console.error("error: wasm/pkg/ is not built: run `cargo xtask wasm` first");
    process.exit(1);
  }
  const { url } = await serve({ port });
  console.log(`app: ${url}/`);
  console.log(`redirect_uri: ${url}/callback`);
}
