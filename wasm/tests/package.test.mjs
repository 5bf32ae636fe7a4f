// The npm package in Node (`node --test`): FHIR parsing and validation, and a whole
// standalone launch against the real payer-server (`payer-server demo` on a loopback
// port), the member's browser played with fetch through the sign-in and consent forms.
// `cargo xtask ci` builds the package and the server first (PAYER_SERVER_BIN).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import init, {
  parseResource,
  validateResource,
  SmartClient,
  Session,
  version,
} from "../pkg/cms_interop.js";

const REDIRECT = "http://127.0.0.1:9/callback";
const SCOPE = "launch/patient openid fhirUser offline_access patient/*.rs";

let demo; // { process, dir, fhirBase, clientId, password, username, patient }

before(async () => {
  await init({ module_or_path: readFileSync(new URL("../pkg/cms_interop_bg.wasm", import.meta.url)) });
  demo = await startDemo();
});

after(() => {
  demo?.process.kill();
  if (demo) rmSync(demo.dir, { recursive: true, force: true });
});

/** A free loopback port. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** `payer-server demo` with 3 members; resolves once it printed what to try. */
async function startDemo() {
  const binary = process.env.PAYER_SERVER_BIN;
  assert.ok(binary, "PAYER_SERVER_BIN names the payer-server binary (cargo xtask ci sets it)");
  const dir = mkdtempSync(join(tmpdir(), "cms-interop-wasm-"));
  const port = await freePort();
  const child = spawn(binary, [
    "demo", "--members", "3", "--db", join(dir, "demo.sqlite"),
    "--listen", `127.0.0.1:${port}`, "--redirect-uri", REDIRECT,
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
  return {
    process: child,
    dir,
    fhirBase: value("fhir_base"),
    clientId: value("client_id").split(" ")[0],
    password: value("password").split(" ")[0],
    username: value("username"),
    patient: value("patient").replace("Patient/", ""),
  };
}

/** What the member's browser does: the sign-in form, the consent form, the redirect. */
async function signIn(url, username, password) {
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

/** A grant store over a Map, asynchronous like IndexedDB would be. */
function mapStore() {
  const map = new Map();
  return {
    map,
    load: async (key) => map.get(key) ?? null,
    save: async (key, json) => void map.set(key, json),
    remove: async (key) => void map.delete(key),
  };
}

test("parses strictly and leniently, keeping decimals as written", () => {
  const parsed = parseResource('{"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"}, "valueQuantity": {"value": 1.50}}');
  assert.equal(parsed.resourceType, "Observation");
  assert.match(parsed.json, /"value":1\.50/);
  assert.deepEqual(parsed.issues, []);

  assert.throws(
    () => parseResource('{"resourceType": "Patient", "favouriteColour": "blue"}'),
    (error) => error.code === "invalid_fhir" && /favouriteColour/.test(error.message),
  );
  const lenient = parseResource('{"resourceType": "Patient", "favouriteColour": "blue"}', true);
  assert.equal(lenient.issues.length, 1);
  assert.match(lenient.json, /favouriteColour/);
  assert.match(version(), /^\d+\.\d+\.\d+$/);
});

test("a member connects through the forms and the whole record syncs", async () => {
  const payer = await SmartClient.discover(demo.fhirBase);
  assert.equal(payer.configuration.source, "WellKnown");
  assert.deepEqual(payer.configuration.warnings, []);

  const pending = payer.authorize(demo.clientId, REDIRECT, SCOPE);
  assert.match(pending.url, /code_challenge_method=S256/);
  // What a page keeps in sessionStorage across the redirect.
  const kept = JSON.parse(JSON.stringify(pending));
  const redirect = await signIn(pending.url, demo.username, demo.password);
  const store = mapStore();
  const session = await payer.complete(kept, redirect, demo.clientId, store, "member");
  const saved = JSON.parse(store.map.get("member"));
  assert.ok(saved.refresh_token, "the grant was saved, refresh token included");

  const context = await session.patientContext();
  assert.equal(context.id, demo.patient);
  assert.equal(context.source, "TokenPatient");

  const progress = [];
  const record = await session.syncAll(context.id, { pageSize: 10, onProgress: (p) => progress.push(p) });
  assert.ok(record.complete, JSON.stringify(record.types));
  assert.equal(record.resources.Patient[0].id, demo.patient);
  const eobs = await session.search("ExplanationOfBenefit", { patient: context.id, _count: "50" });
  assert.ok(eobs.length > 0);
  assert.equal(record.counts.ExplanationOfBenefit, eobs.length);

  // The payer's EOBs meet their CARIN profile; one without its patient does not.
  for (const eob of eobs.slice(0, 5)) {
    assert.deepEqual(validateResource(JSON.stringify(eob)).filter((i) => i.severity === "error"), []);
  }
  const broken = { ...eobs[0] };
  delete broken.patient;
  const issues = validateResource(JSON.stringify(broken)).filter((i) => i.severity === "error");
  assert.ok(issues.some((i) => i.location === "ExplanationOfBenefit.patient"), JSON.stringify(issues));
  assert.equal(progress.at(-1).totalResources, record.total);

  // After a reload: the saved grant resumes.
  const resumed = await Session.resume(JSON.parse(store.map.get("member")), demo.clientId, store, "member");
  const patient = await resumed.read("Patient", demo.patient);
  assert.equal(patient.id, demo.patient);
});

test("errors carry a stable code", async () => {
  const port = await freePort();
  await assert.rejects(SmartClient.discover(`http://127.0.0.1:${port}/fhir`), (error) => {
    assert.equal(error.code, "discovery");
    assert.match(error.message, /\.well-known\/smart-configuration/);
    return true;
  });
  const payer = await SmartClient.discover(demo.fhirBase);
  const pending = payer.authorize(demo.clientId, REDIRECT, SCOPE);
  await assert.rejects(
    payer.complete({ ...pending, state: "forged" }, `${REDIRECT}?code=x&state=other`, demo.clientId),
    (error) => error.code === "callback",
  );
  await assert.rejects(payer.complete({ url: pending.url }, REDIRECT, demo.clientId), (error) => error.code === "bad_argument");
});
