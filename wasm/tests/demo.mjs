// What the package's tests share: a free loopback port, `payer-server demo` on it, and
// the member's side of the sign-in and consent forms played with fetch.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free loopback port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * `payer-server demo` with `members` members and `redirectUri` registered for `demo-app`;
 * resolves once it printed what to try: `{ fhirBase, authBase, clientId, password,
 * adminToken, members: [{ username, patient, lineOfBusiness }], stop() }`.
 */
export async function startDemo({ members = 3, practitioners = 1000, redirectUri }) {
  const binary = process.env.PAYER_SERVER_BIN;
  assert.ok(binary, "PAYER_SERVER_BIN names the payer-server binary (cargo xtask ci sets it)");
  const dir = mkdtempSync(join(tmpdir(), "cms-interop-wasm-"));
  const port = await freePort();
  const child = spawn(binary, [
    "demo", "--members", String(members), "--practitioners", String(practitioners),
    "--db", join(dir, "demo.sqlite"),
    "--listen", `127.0.0.1:${port}`, "--redirect-uri", redirectUri,
  ], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`payer-server demo exited with ${code}: ${out}`)));
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (out.includes("connected_apps:")) resolve();
    });
  });
  const value = (key) => out.match(new RegExp(`^${key}: (.+)$`, "m"))?.[1]?.trim();
  const usernames = [...out.matchAll(/^username: (.+)$/gm)].map((m) => m[1].trim());
  const patients = [...out.matchAll(/^patient: Patient\/(.+)$/gm)].map((m) => m[1].trim());
  const lines = [...out.matchAll(/^line_of_business: (.+)$/gm)].map((m) => m[1].trim());
  assert.equal(usernames.length, patients.length, out);
  assert.equal(usernames.length, lines.length, out);
  const fhirBase = value("fhir_base");
  return {
    fhirBase,
    authBase: new URL("/auth", fhirBase).href,
    clientId: value("client_id").split(" ")[0],
    password: value("password").split(" ")[0],
    adminToken: value("admin_token").split(" ")[0],
    members: usernames.map((username, i) => ({ username, patient: patients[i], lineOfBusiness: lines[i] })),
    stop() {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What the member's browser does: the sign-in form, the consent form, the redirect. */
export async function signIn(url, username, password) {
  const inputs = (page, name) =>
    [...page.matchAll(new RegExp(`name="${name}" value="([^"]*)"`, "g"))].map((m) => m[1].replaceAll("&amp;", "&"));
  const action = (page) => page.match(/action="([^"]*)"/)[1].replaceAll("&amp;", "&");
  const post = (target, pairs) =>
    fetch(target, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(pairs),
      redirect: "manual",
    });
  const first = await (await fetch(url)).text();
  const session = inputs(first, "session")[0];
  const consent = await (await post(action(first), [["session", session], ["username", username], ["password", password]])).text();
  const pairs = [["session", session], ...inputs(consent, "allow").map((b) => ["allow", b]), ["decision", "allow"]];
  const answer = await post(action(consent), pairs);
  assert.equal(answer.status, 303);
  return answer.headers.get("location");
}

/** A FHIR search with a bearer token, answered as JSON (plain fetch: the tests' oracle). */
export async function fhirGet(fhirBase, path, accessToken) {
  const response = await fetch(`${fhirBase}/${path}`, {
    headers: { authorization: `Bearer ${accessToken}`, accept: "application/fhir+json" },
  });
  assert.equal(response.status, 200, `GET ${path}: ${response.status}`);
  return response.json();
}
